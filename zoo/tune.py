"""`zoo tune`: is a family's fixed recipe (zoo/recipes.py) fair to it?

An Optuna study (TPE, seeded) searches the recipe's fields (zoo.tune_space.SPACE) for one
model on one dataset at one training size, selecting on dev only: the recipe itself is trial
0, every trial a nested MLflow run under the study's run in its own experiment
(schema.TUNING_EXPERIMENT; the benchmark's leaderboard never reads it). Then the recipe and
the best config are each trained with every evaluation seed through zoo.cells.train_cell
(zoo.tune_compare), and reports.tuning tests the test difference with the leaderboard's paired
bootstrap: "tuning gains significantly", "no detectable difference" or "recipe better".

    zoo tune bilstm_crf_small --dataset wnut16 --trials 12
    zoo tune --plan tuning          # every from-scratch family the guide ranks (TUNING_PLAN)
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zoo import home, tracking
from zoo.configs import get_profile
from zoo.data import get_card
from zoo.errors import ConfigError, ZooError
from zoo.models import check_supports
from zoo.sweep.datastore import load_data, pretrain_corpus
from zoo.sweep.matrix import check_seeds, check_size
from zoo.sweep.plan import check_counts_fit
from zoo.sweep.workers import default_parallelism, start_worker
from zoo.tracking import schema
from zoo.tune_compare import ArmRun, compare
from zoo.tune_space import TuneRequest
from zoo.tune_study import SearchResult, search, study_lock, study_run

# The `tuning` plan: each from-scratch family the guide ranks, on one sentiment and one NER
# dataset (issue 26), at the whole training split (the size the guide's headline ranks), with
# a small budget: 12 trials (the recipe, 4 more random, 7 guided by TPE), then 3 seeds per arm.
# Cost, from the train seconds of the standard run of 2026-12-06 (docs/runs/standard_profile_
# run_2026-12-06.txt, seed means at size 1.0, one thread): one config of every model here
# is 377 s on mr (bilstm 93, transformer 79, gru 66, lstm 58, cnn 45, rnn 36) and 234 s on
# wnut16 (bilstm_crf 73, bilstm 64, transformer 54, cnn 43), 611 s in all; 12 trials and 6
# comparison trainings are 18 x 611 = ~11,000 s, about 3 hours run one study after another,
# more where trials pick batch 16 or a low rate (more, slower epochs): its own scheduled run,
# never beside `standard`'s 2.5 hours.
TUNING_PLAN: tuple[tuple[str, str], ...] = (
    *((m, "mr") for m in ("lstm_small", "bilstm_small", "gru_small", "rnn_small",
                          "cnn_small", "transformer_small")),
    *((m, "wnut16") for m in ("bilstm_crf_small", "bilstm_small", "cnn_small",
                              "transformer_small")),
)
PLAN_TRIALS = 12
PLAN_SIZE = 1.0
PLANS = {"tuning": TUNING_PLAN}
DEFAULT_PROFILE = "standard"  # the budgets (dev sample, time cap) of the guide's figures


def check_request(model: str, dataset: str, trials: int, *, size: float = PLAN_SIZE,
                  seed: int = 1, eval_seeds: Sequence[int] = (1, 2, 3),
                  profile: str = DEFAULT_PROFILE) -> TuneRequest:
    """Every input checked before any work: one line naming the problem and the fix."""
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ConfigError(f"--trials {trials!r}: a study needs at least 1 trial (the recipe "
                          "is the first); e.g. --trials 12")
    task = get_card(dataset).task  # an unknown dataset names the known ones
    entry = check_supports(model, task)
    if entry.kind == "classical":
        raise ConfigError(f"model {model!r} is a classical model, fitted once with no "
                          "training recipe to tune; tune a neural model (`zoo models --task "
                          f"{task}`)")
    if entry.runtime != "torch":
        raise ConfigError(f"model {model!r} is the {entry.runtime} runtime twin of "
                          f"{entry.base!r} and trains as it does; tune {entry.base!r}")
    get_profile(profile)
    if not eval_seeds:
        raise ConfigError("--eval-seeds names no seed; e.g. --eval-seeds 1,2,3")
    req = TuneRequest(model, dataset, task, trials, check_size(size), check_seeds([seed])[0],
                      tuple(check_seeds(list(eval_seeds))), profile)
    check_counts_fit([req.spec(seed)])
    req.recipe()  # the recipe resolves (a broken recipe fails now, not in trial 0)
    return req


def plan_requests(name: str, *, trials: int | None = None, seed: int = 1,
                  eval_seeds: Sequence[int] = (1, 2, 3),
                  profile: str = DEFAULT_PROFILE) -> list[TuneRequest]:
    if name not in PLANS:
        raise ConfigError(f"unknown plan {name!r}; choose one of: {', '.join(PLANS)}")
    return [check_request(model, dataset, trials or PLAN_TRIALS, size=PLAN_SIZE, seed=seed,
                          eval_seeds=eval_seeds, profile=profile)
            for model, dataset in PLANS[name]]


@dataclass(frozen=True)
class StudyOutcome:
    request: TuneRequest
    search: SearchResult
    arms: list[ArmRun]


def run_study(req: TuneRequest, data, echo=print, corpus=None) -> StudyOutcome:
    """Search (dev only), then compare recipe and best on test; resumable at every step.
    `corpus(language)`: a biLM's pretraining text, as the sweep passes it (None: the
    dataset's own train split)."""
    work_dir = home.tuning_models_dir()  # apart from a sweep's models
    with study_lock(req):
        exp_id = tracking.experiment_id(schema.TUNING_EXPERIMENT)
        parent_id = study_run(exp_id, req)
        try:
            found = search(req, data, work_dir, exp_id, parent_id, echo, corpus)
            arms = compare(req, data, found.best_params, work_dir, exp_id, parent_id, echo,
                           corpus)
        except Exception:
            tracking.finish_run(parent_id, "FAILED")
            raise
        except BaseException:
            tracking.finish_run(parent_id, "KILLED")
            raise
        tracking.finish_run(parent_id)
    return StudyOutcome(req, found, arms)


def run_plan(requests: Sequence[TuneRequest], mirror: str | None = None,
             echo=print, parallel: int | None = None) -> list[str]:
    """Each study, resumable; a study that stops with a ZooError (e.g. every trial failed)
    is reported and the others go on; one study alone raises. Returns the names of the
    studies that stopped. The CLI (`zoo tune`) and the tuning flow (flows/tuning.py) both
    run this.

    `parallel`: studies at a time (default: as the sweep's cells, one per core up to 4
    cores, zoo.sweep.workers.default_parallelism), each in its own worker process with its
    share of the cores: the small models gain little from a second thread, so two
    one-thread studies finish a plan in about half the time of one two-thread study after
    another."""
    for name in dict.fromkeys(r.dataset for r in requests):
        load_data(name, mirror)  # prepared once here; the studies read the prepared cache
    parallel, threads = default_parallelism(parallel)
    if parallel > 1 and len(requests) > 1:
        return _run_in_workers(requests, mirror, echo, parallel, threads)
    failed = []
    for req in requests:
        try:
            _study(req, mirror, echo)
        except ZooError as exc:
            if len(requests) == 1:
                raise
            failed.append(_stopped(req, exc, echo))
    return failed


def _stopped(req: TuneRequest, exc: ZooError, echo) -> str:
    """A study that stopped with a ZooError: said, and named for the plan's summary."""
    echo(f"study {req.study_name} stopped: {exc}")
    return req.study_name


def _study(req: TuneRequest, mirror: str | None, echo=print) -> str:
    # A biLM pretrains on the sweep's corpus, as in the benchmark.
    run_study(req, load_data(req.dataset, mirror), echo,
              corpus=lambda language: pretrain_corpus(language, mirror))
    return req.study_name


def _run_in_workers(requests: Sequence[TuneRequest], mirror: str | None, echo,
                    parallel: int, threads: int) -> list[str]:
    """The studies in `parallel` spawned worker processes (spawn: the parent may run
    Prefect's and MLflow's threads); each worker prints its own trial lines."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor, as_completed

    failed = []
    with ProcessPoolExecutor(min(parallel, len(requests)),
                             mp_context=multiprocessing.get_context("spawn"),
                             initializer=start_worker, initargs=(threads, os.getpid())) as pool:
        jobs = {pool.submit(_study, req, mirror): req for req in requests}
        try:
            for job in as_completed(jobs):
                try:
                    echo(f"study {job.result()} finished")
                except ZooError as exc:
                    failed.append(_stopped(jobs[job], exc, echo))
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # Ctrl-C: each worker marks its runs
            raise
    return failed

