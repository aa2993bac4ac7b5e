"""Benchmark building blocks: plan the matrix, run a cell with tracking, measure it.

Plain functions the Prefect flow calls; each can be called and tested without Prefect.
One failing cell becomes a FAILED MLflow run with its error text and never stops a sweep.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from zoo import home, tracking, workers
from zoo.cells import (
    CellSpec,
    ResolvedCell,
    measure_cell,
    pretrain_model,
    resolve_cell,
    resolve_train_config,
)
from zoo.configs import get_profile
from zoo.data import get_card, prepare_dataset
from zoo.errors import ConfigError
from zoo.evaluate import PRIMARY_METRIC
from zoo.measure import environment
from zoo.pretraining import PretrainCorpus, language_corpus
from zoo.models import floor_model, get_entry, list_models

log = logging.getLogger(__name__)


@dataclass
class CellOutcome:
    spec: CellSpec
    key: str
    status: str  # cached | trained | measured | failed
    run_id: str | None = None
    model_dir: str | None = None
    error: str | None = None
    seconds: float = 0.0
    summary: str = ""  # "test accuracy 0.746, trained 142 s, early_stopped" once trained


def _split(value: str | tuple | list | None) -> list[str] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(v).strip() for v in items if str(v).strip()]


def parse_sizes(value) -> list[float | int] | None:
    """"0.25,1.0,500" -> [0.25, 1.0, 500]: floats are fractions, integers are counts."""
    items = _split(value)
    if items is None:
        return None
    sizes: list[float | int] = []
    for item in items:
        try:
            size = float(item) if "." in item else int(item)
        except ValueError:
            raise ConfigError(f"training size {item!r} is neither a fraction like 0.25 nor "
                              "a count like 500") from None
        if isinstance(size, float) and not 0.0 < size <= 1.0:
            raise ConfigError(f"training size {item!r}: a fraction must be in (0, 1], like "
                              "0.25; a count is a whole number, like 500")
        if isinstance(size, int) and size < 1:
            raise ConfigError(f"training size {item!r}: a count must be at least 1 (or give "
                              "a fraction in (0, 1], like 0.25)")
        sizes.append(size)
    return sizes


def parse_seeds(value) -> list[int]:
    """"1,2,3" -> [1, 2, 3]; seeds are whole numbers from 0 (NumPy refuses negative ones)."""
    seeds = []
    for item in _split(value) or ():
        try:
            seed = int(item)
        except ValueError:
            raise ConfigError(f"seed {item!r} is not a whole number; use e.g. --seeds 1,2,3"
                              ) from None
        if not 0 <= seed < 2**32:
            raise ConfigError(f"seed {item!r} must be in [0, 2**32); use e.g. --seeds 1,2,3")
        seeds.append(seed)
    return seeds


def plan_cells(profile: str = "quick", *, datasets=None, models=None, train_sizes=None,
               seeds=None, overrides: dict | None = None,
               include_floors: bool = True) -> list[CellSpec]:
    """Expand the matrix; every name is checked before any work starts.

    Floors: every planned dataset also gets the trivial floor model of its task
    (`floor_model(task)`: majority_class, all_o, copy_source) at every planned size and seed,
    even when the profile or the `models` patterns do not name it, because a floor is
    measured in every run: it is what "beats the floor" is judged against. Datasets that no
    requested model runs on are left out, with their floors. It comes after
    the matched models of its dataset (once, if a pattern matched it too). A matrix is still
    empty, and an error, when the patterns match no model for any planned dataset. Only
    tests that need an exact matrix pass `include_floors=False`; the CLI and the flows keep
    the default.
    """
    prof = get_profile(profile)
    dataset_names = _split(datasets) or list(prof.datasets)
    patterns = ",".join(_split(models) or list(prof.models))
    sizes = parse_sizes(train_sizes)  # --sizes applies to every dataset
    seed_list = parse_seeds(seeds)  # --seeds applies to every dataset
    override_items = tuple(sorted((overrides or {}).items()))
    planned = {name: list_models(patterns, task=get_card(name).task) for name in dataset_names}
    if not any(planned.values()):
        raise ConfigError(f"the matrix is empty: no model matches {patterns!r} for datasets "
                          f"{', '.join(dataset_names)}; run `zoo models` to see what exists")
    cells = []
    for name, names in planned.items():
        task = get_card(name).task
        # A dataset no requested model runs on stays out, floor included: `--models
        # tfidf_logreg` must not fetch NER and translation data just to measure their floors.
        if include_floors and names and (floor := floor_model(task)) not in names:
            names = [*names, floor]
        for model in names:
            # A profile's own selection may run a model on fewer cells (Profile.only_at);
            # models the user names run at every planned size.
            profile_sizes = (prof.sizes_for(name) if _split(models)
                             else prof.model_sizes_for(model, name))
            for size in sizes or profile_sizes:
                for seed in seed_list or prof.seeds_for(name):
                    cells.append(CellSpec(task, name, model, size, seed, profile,
                                          override_items))
    for spec in cells:  # resolve every config now so a bad override fails early
        resolve_train_config(spec)
    # Runtime twins (ONNX float / int8) last: they reuse their base's weights when the base
    # has finished, and retrain it from scratch when it has not.
    return sorted(cells, key=lambda spec: get_entry(spec.model).runtime != "torch")


# Rough training seconds per example, relative to a sentence classifier: only for the order
# in which cells start (from the quick run of 2026-12-03: a tatoeba pair ~7x an mr sentence,
# a wnut16 tweet ~3x; the ELMo and Transformer families ~2x the recurrent ones).
_TASK_COST = {"translation": 7.0, "ner": 3.0, "sentiment": 1.0}
_FAMILY_COST = {"elmo": 2.5, "transformer": 1.5, "seq2seq_transformer": 1.5,
                "pretrained_transformer": 8.0}
# A frozen pretrained encoder runs one forward pass per sentence, then trains a small head.
_FROZEN_CHECKPOINT_COST = 1.5


def _expected_cost(spec: CellSpec) -> float:
    entry = get_entry(spec.model)
    if entry.kind != "neural":
        return 0.0  # classical fits and floors take seconds
    counts = get_card(spec.dataset).expected
    pool = counts.get("train") or 0.8 * counts.get("all", 1000)
    examples = spec.train_size if spec.train_size > 1 else spec.train_size * pool
    family = (_FROZEN_CHECKPOINT_COST if entry.pretrained and entry.encoder_mode == "frozen"
              else _FAMILY_COST.get(entry.family, 1.0))
    return examples * _TASK_COST.get(spec.task, 1.0) * family


def longest_first(cells: list) -> list:
    """The cells (CellSpec or ResolvedCell) in the order to start them: expected-longest
    first, so that the last cell to finish is a short one and no worker idles behind a long
    tail; runtime twins stay after every float cell (they reuse its weights once it has
    finished)."""
    def order(cell):
        spec = getattr(cell, "spec", cell)
        return get_entry(spec.model).runtime != "torch", -_expected_cost(spec)

    return sorted(cells, key=order)


def _may_pretrain(model: str) -> bool:
    """Only a float neural model can carry a pretrain hook (ONNX twins reuse its weights)."""
    entry = get_entry(model)
    return entry.kind == "neural" and entry.runtime == "torch"


def run_pretraining(cells: list[CellSpec], mirror: str | None = None) -> list[dict]:
    """Pretrain what the planned cells' models need (the ELMo biLM: once per language and
    biLM config, zoo.pretraining), before any cell trains; one row per model with a hook.
    A cached biLM makes this a file read."""
    rows = []
    trainable = [s for s in cells if _may_pretrain(s.model)]
    for model in dict.fromkeys(spec.model for spec in trainable):
        spec = next(s for s in trainable if s.model == model)
        data = prepared(spec.dataset, mirror)
        start = time.perf_counter()
        metrics = pretrain_model(spec, data, home.models_dir(),
                                 functools.partial(pretrain_corpus, mirror=mirror))
        if metrics is not None:
            rows.append({"model": model, "language": data.card.language,
                         "seconds": time.perf_counter() - start, **metrics})
    return rows


def pending_pretraining(cells: list[ResolvedCell], exp_id: str,
                        refresh: bool = False) -> list[CellSpec]:
    """The specs whose model may need the biLM and which will train (no FINISHED run of
    their key, or `refresh`): a fully cached sweep then starts no pretraining task, and no
    worker process (a spawn and a torch import, about 7 s of a cached quick re-run)."""
    done = set() if refresh else tracking.finished_cell_keys(exp_id)
    return [c.spec for c in cells if c.key not in done and _may_pretrain(c.spec.model)]


_prepared: dict[tuple[str, str | None, str], object] = {}  # see `prepared`
_prepared_lock = threading.Lock()


def load_data(name: str, mirror: str | None = None, refresh: bool = False):
    """Prepare the dataset (a read of the prepared cache when it is there) and remember it
    for `prepared`: the sweep's prepare step calls this once per dataset."""
    data = prepare_dataset(name, cache_dir=home.data_cache_dir(),
                           mirror=Path(mirror) if mirror else None, refresh=refresh)
    with _prepared_lock:
        _prepared[(name, mirror, str(home.data_cache_dir()))] = data
    return data


def prepared(name: str, mirror: str | None = None):
    """The dataset as this process last prepared it, else prepared now. The train and
    measure steps of every cell use this, so a dataset is parsed once per sweep, not three
    times per cell (issue 12); a sweep's prepare step re-reads it, so a changed user file
    is seen by the next sweep in the same process."""
    with _prepared_lock:
        data = _prepared.get((name, mirror, str(home.data_cache_dir())))
    return data if data is not None else load_data(name, mirror)


def resolve_cells(cells: list[CellSpec], mirror: str | None = None) -> list[ResolvedCell]:
    """Each planned cell resolved once (config, data fingerprint, cache key), after its
    dataset is prepared; every later step takes these and recomputes nothing."""
    return [resolve_cell(spec, prepared(spec.dataset, mirror).fingerprint) for spec in cells]


@functools.lru_cache(maxsize=4)
def pretrain_corpus(language: str, mirror: str | None = None) -> PretrainCorpus:
    """The language's pretraining corpus (zoo.pretraining), loaded once per process."""
    return language_corpus(language, lambda name: prepared(name, mirror))


def _is_oom(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or "out of memory" in str(exc).lower()


def run_training_cell(cell: ResolvedCell, exp_id: str, parent_id: str | None, *,
                      mirror: str | None = None, refresh: bool = False,
                      on_epoch=None) -> CellOutcome:
    """Train + evaluate one cell and log it; skips cells that already finished."""
    start, spec, key = time.perf_counter(), cell.spec, cell.key
    if not refresh and (done := tracking.finished_cell_run(exp_id, key)):
        return CellOutcome(spec, key, "cached", run_id=done)
    run_id, model_dir = tracking.resumable_cell_run(exp_id, key)
    if run_id and not refresh:
        return CellOutcome(spec, key, "trained", run_id=run_id, model_dir=model_dir)
    with contextlib.ExitStack() as slot:
        # A worker slot from before the run starts until training ends: a queued cell has no
        # RUNNING run yet (a RUNNING run without a stage is training), and the next cell
        # trains while this one is logged.
        slot.enter_context(workers.training_slot())
        run_id = tracking.start_cell_run(
            exp_id, parent_id, spec.label, key,
            tracking.cell_tags(cell, environment()),
            tracking.cell_params(cell))
        try:
            began = time.time()
            trained = _train_with_oom_retry(cell, run_id, mirror, on_epoch)
            slot.close()
            tracking.log_trained_cell(run_id, trained, (began, time.time()))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.error("cell %s failed: %s\n%s", spec.label, error, traceback.format_exc())
            tracking.fail_cell_run(run_id, error)
            return CellOutcome(spec, key, "failed", run_id=run_id, error=error,
                               seconds=time.perf_counter() - start)
    return CellOutcome(spec, key, "trained", run_id=run_id, model_dir=trained.model_dir,
                       seconds=time.perf_counter() - start, summary=_summary(trained))


def _summary(cell) -> str:
    """One line for a log without a terminal: the score, the training time, why it stopped."""
    metric = PRIMARY_METRIC[cell.spec.task]
    score = cell.test.get(metric)
    scored = f"test {metric} {score:.3f}" if score is not None else f"no test {metric}"
    return (f"{scored}, trained {cell.train_seconds:.0f} s in {len(cell.epochs)} epochs, "
            f"{cell.stop_reason or 'unknown stop'}")


def _train_with_oom_retry(cell: ResolvedCell, run_id: str, mirror: str | None, on_epoch):
    work_dir = home.models_dir()
    try:
        return workers.train_cell(cell, work_dir, mirror=mirror, on_epoch=on_epoch)
    except Exception as exc:  # out of memory: halve the batch and retry once
        if not _is_oom(exc):
            raise
        batch = cell.config.batch_size
        spec = cell.spec
        retry = replace(spec, overrides=tuple(sorted(
            {**dict(spec.overrides), "batch_size": max(1, batch // 2)}.items())))
        tracking.log_tags(run_id, {"zoo.oom_retry": f"batch_size {batch} -> {batch // 2}"})
        return workers.train_cell(resolve_cell(retry, cell.data_fingerprint), work_dir,
                                  mirror=mirror, on_epoch=on_epoch)


def run_measure_cell(outcome: CellOutcome, *, mirror: str | None = None,
                     threads: int | None = None, latency_calls: int = 200) -> CellOutcome:
    """Measure speed of a trained cell (alone on the machine) and close its run."""
    if outcome.status != "trained":
        return outcome
    try:
        data = prepared(outcome.spec.dataset, mirror)
        metrics = measure_cell(Path(outcome.model_dir), data, threads=threads,
                               latency_calls=latency_calls)
        tracking.log_metrics(outcome.run_id, metrics)
        tracking.log_tags(outcome.run_id, {tracking.STAGE: "measured",
                                           "latency_stage": "serialized"})
        tracking.finish_run(outcome.run_id)
        return replace(outcome, status="measured")
    except Exception as exc:
        error = f"{type(exc).__name__} while measuring: {exc}"
        tracking.fail_cell_run(outcome.run_id, error)
        return replace(outcome, status="failed", error=error)


def default_parallelism(parallel: int | None = None) -> tuple[int, int]:
    """(cells in parallel, torch threads per cell): never more threads than cores."""
    cores = os.cpu_count() or 1
    # The zoo's small models gain little from a second intra-op thread (batch-32 matmuls),
    # and the profiles' wall-clock budgets make a cell cost fixed time: so run cells side by
    # side, one thread each up to 4 cores, two each beyond. Never more threads than cores.
    per_cell = 1 if cores <= 4 else 2
    parallel = parallel or max(1, cores // per_cell)
    return parallel, max(1, cores // parallel)


def set_threads(threads: int) -> None:
    torch.set_num_threads(threads)


def check_dask(address: str, timeout_s: float = 10.0) -> int:
    """Fail before any training when the Dask scheduler cannot be reached; returns workers."""
    from distributed import Client

    try:
        with Client(address, timeout=timeout_s) as dask_client:
            return len(dask_client.scheduler_info()["workers"])
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"Dask scheduler {address} is unreachable ({exc}); start one with "
                          "`dask scheduler` or drop --dask-address for a local cluster") from None
