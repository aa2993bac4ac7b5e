"""One benchmark cell = (task, dataset, model, training size, seed): train, evaluate, measure.

Plain functions; the Prefect flow only wires them. Training and evaluation happen in
`train_cell` (parallelizable); speed is measured later in `measure_cell`, one cell at a time,
so no latency figure is taken while another cell trains on the same cores.

Devices: `train_cell` is where a neural model is placed, on `zoo.device.pick_device()`
(CUDA when present, else the CPU; ZOO_DEVICE overrides), before pretraining and training;
everything after follows the model. `TrainedCell.device` records where it trained.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

import zoo.tracking.schema as schema  # noqa: PLR0402  (the leaf module, not the package)
from zoo.batching import collator_for
from zoo.configs import TrainConfig, apply_overrides, config_hash, get_profile
from zoo.corpus import PretrainCorpus, run_pretrain_hook
from zoo.data import PreparedDataset, train_subset
from zoo.data.splits import dev_subset, subset_counts
from zoo.data.vocab import Vocab
from zoo.device import pick_device
from zoo.encoders.scalar_mix import find_mix, mix_metrics
from zoo.evaluate import evaluate
from zoo.example_log import example_records
from zoo.measure import (
    MachineLoadMeter,
    PeakRss,
    count_params,
    file_size,
    git_sha,
    measure_latency,
    measure_throughput,
)
from zoo.model_changes import apply_model_changes
from zoo.models import DataInfo, check_supports, create_model
from zoo.predictors import (
    load_predictor,
    make_predictor,
    read_training_record,
    save_model,
    write_training_record,
)
from zoo.tracking.schema import PRIMARY_METRIC
from zoo.train import EpochLog, seed_everything, train_model
from zoo.variants import shown_name, variant_changes

PROTOCOL = "select=dev;report=test;test_read_once"


@dataclass(frozen=True)
class CellSpec:
    task: str
    dataset: str
    model: str
    train_size: float | int  # fraction in (0, 1] or example count
    seed: int
    profile: str = "quick"
    overrides: tuple[tuple[str, object], ...] = ()  # TrainConfig overrides from the user
    variant: str = ""  # a recipe variant (zoo.variants): one recipe field changed

    @property
    def label(self) -> str:
        shown = shown_name(self.model, self.variant)
        return f"{shown}/{self.dataset}/n={self.train_size}/seed={self.seed}"


def resolve_train_config(spec: CellSpec) -> TrainConfig:
    """Defaults < the model's recipe for the task < the profile's budget < the recipe
    variant's one change < user overrides."""
    entry = check_supports(spec.model, spec.task)
    cfg = apply_overrides(TrainConfig(), entry.recipe(spec.task))
    cfg = apply_overrides(cfg, get_profile(spec.profile).train)
    cfg = apply_overrides(cfg, variant_changes(spec.variant))
    return apply_overrides(cfg, dict(spec.overrides))


def _key(spec: CellSpec, cfg: TrainConfig, data_fingerprint: str,
         code_version: str | None) -> str:
    """Data fingerprint + resolved config + code version + seed: equal keys, equal results."""
    parts = [data_fingerprint, spec.model, str(spec.train_size), str(spec.seed),
             config_hash(cfg), code_version or git_sha()]
    parts += [spec.variant] if spec.variant else []  # keeps equal-config variants apart
    device = pick_device()
    if device.type != "cpu":  # a GPU run is a different result; CPU keys stay as they were
        parts.append(device.type)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


@dataclass(frozen=True)
class ResolvedCell:
    """A CellSpec resolved once, when its dataset is prepared: every later step (training in
    a worker, logging, measuring) takes this and recomputes nothing.

    `base_key`: for a runtime twin (ONNX float / int8), the cache key of its float base,
    whose weights it reuses when the base has finished training in this sweep.
    """

    spec: CellSpec
    config: TrainConfig
    data_fingerprint: str
    key: str
    base_key: str | None = None

    @property
    def label(self) -> str:
        return self.spec.label


def resolve_cell(spec: CellSpec, data_fingerprint: str,
                 code_version: str | None = None) -> ResolvedCell:
    entry = check_supports(spec.model, spec.task)
    cfg = resolve_train_config(spec)
    code = code_version or git_sha()
    base_key = None
    if entry.runtime != "torch" and entry.base:
        base = dataclasses.replace(spec, model=entry.base)
        base_key = _key(base, resolve_train_config(base), data_fingerprint, code)
    return ResolvedCell(spec, cfg, data_fingerprint, _key(spec, cfg, data_fingerprint, code),
                        base_key)


@dataclass
class TrainedCell:
    spec: CellSpec
    key: str
    model_dir: str
    n_train: int
    train_fraction: float
    config: dict
    dev: dict[str, float]
    test: dict[str, float]
    notes: dict[str, str]
    epochs: list[dict] = field(default_factory=list)
    train_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    params: int = 0
    size_bytes: int = 0
    extra_metrics: dict[str, float] = field(default_factory=dict)  # e.g. pretrain/perplexity
    curves: dict[str, list[float]] = field(default_factory=dict)  # e.g. pretrain/perplexity
    model_description: dict[str, object] = field(default_factory=dict)
    test_stats: dict = field(default_factory=dict)  # metric -> (N, k) per-example stats
    test_records: dict = field(default_factory=dict)  # zoo.example_log: the report's buckets
    device: str = "cpu"  # where the model trained ("cuda:0", "cpu"); ORT twins predict on CPU
    # Why training stopped (zoo.train.stop_summary): early_stopped | epoch_cap | time_cap,
    # "fitted" for classical models; runtime twins inherit their float base's.
    stop_reason: str = ""
    converged: bool = False
    train_pid: int = 0  # the process that trained it (a zoo.sweep.workers worker, or the caller)


def _data_info(spec: CellSpec, data: PreparedDataset, train, cfg: TrainConfig) -> DataInfo:
    vocab = Vocab.build((ex.tokens for ex in train), min_freq=cfg.vocab_min_freq,
                        max_size=cfg.vocab_max_size)
    target_vocab = None
    if spec.task == "translation":
        target_vocab = Vocab.build((ex.target for ex in train), min_freq=cfg.vocab_min_freq,
                                   max_size=cfg.vocab_max_size, with_bos_eos=True)
    return DataInfo(task=spec.task, vocab=vocab, labels=data.labels, target_vocab=target_vocab)


# Full scale of each primary metric: the flat rule's tolerance is a fraction of it.
METRIC_SCALE = {"accuracy": 1.0, "f1": 1.0, "bleu": 100.0}


@contextlib.contextmanager
def selection_decoding(model):
    """Greedy search while dev selects the epoch; the model's own search (beam) for the
    logged dev and test scores. Beam search costs the beam width times greedy, and scoring
    every epoch with it took 21 % of seq2seq_transformer_small's training at 3,000 tatoeba
    pairs (benchmarks/cell_profile.py); fairseq likewise validates without beam search."""
    decode = getattr(model, "decode", None)
    if decode is None or decode.strategy == "greedy":
        yield
        return
    model.decode = dataclasses.replace(decode, strategy="greedy", beam_size=1)
    try:
        yield
    finally:
        model.decode = decode


def pretrain_model(spec: CellSpec, data: PreparedDataset, work_dir: Path,
                   corpus: Callable[[str], PretrainCorpus]) -> dict[str, float] | None:
    """Run the pretraining hook of the cell's model now (filling the shared cache), without
    training it; None when the model has no hook. The benchmark calls this once per model
    before any cell trains, so pretraining gets every core instead of one cell's thread
    while the other cells wait on its lock."""
    cfg = resolve_train_config(spec)
    train = train_subset(data.splits["train"], spec.train_size, spec.seed)
    model = create_model(spec.model, _data_info(spec, data, train, cfg))
    if getattr(model, "pretrain", None) is None:
        return None
    if isinstance(model, torch.nn.Module):
        model.to(pick_device())
    metrics, _ = _pretrain(model, data, work_dir, spec.seed, cfg, corpus)
    return metrics


def _pretrain(model, data: PreparedDataset, work_dir: Path, seed: int, cfg: TrainConfig,
              corpus: Callable[[str], PretrainCorpus] | None):
    """The model's pretraining hook with the config's budget; (metrics, curves)."""
    return run_pretrain_hook(model, data, work_dir, seed, cfg.pretrain_max_seconds, corpus,
                             cfg.pretrain_max_steps,
                             until_converged=cfg.pretrain_until_converged,
                             patience=cfg.pretrain_patience)


def _base_weights(cell: ResolvedCell, work_dir: Path) -> Path | None:
    """The float base's weights of a runtime twin, when the base has finished training."""
    if cell.base_key is None:
        return None
    weights = work_dir / cell.base_key / "model.pt"
    return weights if weights.is_file() else None


def _new_model(spec: CellSpec, info: DataInfo, cfg: TrainConfig):
    """The untrained model, placed on its device; returns (model, device)."""
    seed_everything(spec.seed)
    model = create_model(spec.model, info)
    device = torch.device("cpu")  # classical models (scikit-learn, CRFsuite) run on the CPU
    if isinstance(model, torch.nn.Module):
        apply_model_changes(model, cfg, spec.model)  # a recipe variant's dropout, init, norm
        # The one place a trained model is placed; pretraining, the training loop and the
        # predictors below all follow the model's device.
        device = pick_device()
        model.to(device)
    if hasattr(model, "label_smoothing"):
        model.label_smoothing = cfg.label_smoothing
    return model, device


@dataclass
class _Fit:
    """What fitting a model left: its collator (None for classical models), why it stopped
    (the training record), extra metrics and the per-epoch log."""

    collator: object | None
    record: dict
    extra: dict[str, float] = field(default_factory=dict)
    epochs: list[EpochLog] = field(default_factory=list)


FITTED = {"stop_reason": "fitted", "converged": True, "best_epoch": 0, "epochs_run": 0,
          "still_improving": False}  # classical models: fitted once, nothing to stop


def _fit(cell: ResolvedCell, model, info: DataInfo, train, dev, dev_used, work_dir: Path,
         device, on_epoch) -> _Fit:
    """Reuse a twin's base weights, fit a classical model, or train a neural one."""
    spec, cfg = cell.spec, cell.config
    base_weights = _base_weights(cell, work_dir)
    if base_weights is not None:
        # A runtime twin (ONNX float / int8) of a float model trained in this sweep: reuse
        # its weights (same data, config and seed give the same model), convert only.
        model.load_state_dict(torch.load(base_weights, weights_only=True, map_location=device))
        return _Fit(collator_for(model, info, cfg.max_len),
                    read_training_record(base_weights.parent),
                    {schema.TRAIN_REUSED_BASE_WEIGHTS: 1.0})
    if check_supports(spec.model, spec.task).kind == "classical":
        model.fit(train, dev)
        return _Fit(None, dict(FITTED))
    collator = collator_for(model, info, cfg.max_len)
    predictor = make_predictor(model, collator)
    primary = PRIMARY_METRIC[spec.task]

    def dev_score(m) -> float:
        with selection_decoding(m):
            return evaluate(spec.task, dev_used, predictor(dev_used), ci=False).values[primary]

    result = train_model(model, collator, train, cfg, seed=spec.seed, dev_score=dev_score,
                         on_epoch=on_epoch, score_scale=METRIC_SCALE.get(primary, 1.0))
    record = {"stop_reason": result.stop_reason, "converged": result.converged,
              "best_epoch": result.best_epoch, "epochs_run": result.epochs_run,
              "still_improving": result.still_improving}
    return _Fit(collator, record, {schema.TRAIN_HIT_TIME_BUDGET: float(result.hit_time_budget),
                                   schema.TRAIN_AMP: float(result.amp),
                                   schema.TRAIN_BEST_EPOCH: float(result.best_epoch)},
                result.epochs)


def _read_dev_and_test(spec: CellSpec, model, collator, model_dir: Path, dev_used, test):
    """(dev values, test predictions, test metrics); test is read once, as served, after
    `finish_training` (a frozen encoder stops caching). A runtime twin reads test only: a
    twin selects nothing, and dev through ONNX Runtime was 43 % of a minilm_l6_ort cell."""
    finish = getattr(model, "finish_training", lambda: None)
    if check_supports(spec.model, spec.task).runtime != "torch":
        finish()
        predictions = load_predictor(model_dir)[0](test)
        return {}, predictions, evaluate(spec.task, test, predictions)
    predictor = make_predictor(model, collator)
    dev_values = evaluate(spec.task, dev_used, predictor(dev_used)).values
    finish()
    predictions = predictor(test)
    return dev_values, predictions, evaluate(spec.task, test, predictions)


def train_cell(cell: ResolvedCell | CellSpec, data: PreparedDataset, work_dir: Path,
               on_epoch=None, corpus: Callable[[str], PretrainCorpus] | None = None,
               ) -> TrainedCell:
    """Train on the subset, select on dev, then read test exactly once.

    `cell`: resolved by the sweep (zoo.sweep.datastore.resolve_cells); a bare CellSpec (tests,
    scripts) is resolved here. `corpus(language)` gives the pretraining text of a model with
    a pretrain hook (the sweep passes zoo.corpus.language_corpus); None: the
    dataset's own train split.

    Optional model hooks: `pretrain(ctx) -> (metrics, curves)`, a `label_smoothing`
    attribute (set from the config), `describe() -> dict` (logged as params) and
    `finish_training()` (after dev was read, before test).
    """
    if isinstance(cell, CellSpec):
        cell = resolve_cell(cell, data.fingerprint)
    spec, cfg = cell.spec, cell.config
    train = train_subset(data.splits["train"], spec.train_size, spec.seed)
    dev, test = data.splits["dev"], data.splits["test"]
    # Model selection and the logged dev metrics use the same examples: all of dev unless the
    # profile set dev_limit to keep smoke runs fast, then a stratified sample fixed per
    # dataset (never a prefix: a dev file in source order may hold one label first).
    # Test is always read whole.
    dev_used = dev_subset(dev, cfg.dev_limit, spec.task, data.fingerprint)
    info = _data_info(spec, data, train, cfg)
    model, device = _new_model(spec, info, cfg)
    with PeakRss() as rss:
        start = time.perf_counter()
        extra, curves = _pretrain(model, data, work_dir, spec.seed, cfg, corpus)
        fit = _fit(cell, model, info, train, dev, dev_used, work_dir, device, on_epoch)
        train_seconds = time.perf_counter() - start
    model_dir = work_dir / cell.key
    weights = save_model(model_dir, spec.model, model, fit.collator, info, cfg.batch_norm)
    write_training_record(model_dir, fit.record)
    extra = {**extra, **fit.extra, **_mix(model)}
    if fit.collator is not None:
        extra[schema.TRAIN_TRUNCATED_SENTENCES] = float(sum(fit.collator.truncates(ex)
                                                            for ex in train))
    dev_values, test_predictions, test_metrics = _read_dev_and_test(
        spec, model, fit.collator, model_dir, dev_used, test)
    describe = getattr(model, "describe", None)
    return TrainedCell(
        spec=spec, key=cell.key, model_dir=str(model_dir), n_train=len(train),
        train_fraction=len(train) / len(data.splits["train"]), config=asdict(cfg),
        dev=dev_values, test=test_metrics.values,
        notes={**test_metrics.notes}, epochs=[asdict(e) for e in fit.epochs],
        train_seconds=train_seconds, peak_rss_mb=rss.peak_mb,
        params=count_params(model), size_bytes=file_size(weights),
        extra_metrics={**extra, **_count_metrics(fit.record, dev_used, test, spec.task)},
        curves=curves, model_description=describe() if describe else {},
        test_stats=test_metrics.stats, device=str(device), train_pid=os.getpid(),
        test_records=example_records(spec.task, train, test, test_predictions),
        stop_reason=str(fit.record["stop_reason"]), converged=bool(fit.record["converged"]))


def _mix(model) -> dict[str, float]:
    """The learned layer weights of a model with a scalar mix (which layers of a pretrained
    encoder the task drew on); {} for other models."""
    mix = find_mix(model)
    return mix_metrics(mix) if mix is not None else {}


def _count_metrics(record: dict, dev_used, test, task: str) -> dict[str, float]:
    return {schema.DEV_EXAMPLES: float(len(dev_used)), **subset_counts(dev_used, task),
            schema.TEST_EXAMPLES: float(len(test)),
            schema.TRAIN_CONVERGED: float(bool(record["converged"])),
            schema.TRAIN_EPOCHS_RUN: float(record["epochs_run"]),
            schema.TRAIN_STILL_IMPROVING: float(bool(record["still_improving"]))}


def measure_cell(model_dir: Path, data: PreparedDataset, *, latency_calls: int = 200,
                 threads: int | None = None) -> dict[str, float]:
    """Batch-1 latency percentiles and batched throughput on real test inputs."""
    if threads:
        torch.set_num_threads(threads)
    predictor, _ = load_predictor(Path(model_dir))
    test = data.splits["test"]
    with MachineLoadMeter() as load:  # a p90 taken beside other work says so
        latency = measure_latency(predictor, test, calls=latency_calls)
    throughput = measure_throughput(predictor, test)
    busy = load.result.busy(torch.get_num_threads())
    return {
        schema.LATENCY_LOAD_1M: load.result.load_1m,
        schema.LATENCY_OTHERS_BUSY_CORES: load.result.others_busy_cores,
        schema.LATENCY_UNDER_LOAD: float(busy),
        schema.LATENCY_P50: latency.p50_ms, schema.LATENCY_P90: latency.p90_ms,
        schema.LATENCY_P99: latency.p99_ms, schema.LATENCY_MEAN: latency.mean_ms,
        schema.LATENCY_CALLS: float(latency.calls),
        schema.LATENCY_WARMUP: float(latency.warmup_calls),
        schema.THROUGHPUT_EXAMPLES: throughput["examples_per_s"],
        schema.THROUGHPUT_TOKENS: throughput["tokens_per_s"],
        schema.THROUGHPUT_BATCH: throughput["batch_size"],
        schema.MEASURE_THREADS: float(torch.get_num_threads()),
    }
