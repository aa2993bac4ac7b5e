"""A cell's tracked run: train it (in a worker, halving the batch once on out of memory) and
log it, then measure its speed and close the run.

One failing cell becomes a FAILED MLflow run with its error text and never stops a sweep;
a cell whose key already has a FINISHED run is skipped (the cache).
"""
from __future__ import annotations

import contextlib
import logging
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

from zoo import home, tracking
from zoo.cells import CellSpec, ResolvedCell, TrainedCell, measure_cell, resolve_cell
from zoo.measure import MachineLoadMeter, environment
from zoo.sweep import workers
from zoo.sweep.datastore import prepared
from zoo.sweep.run_record import cell_params, cell_tags, log_trained_cell
from zoo.tracking import claims, schema

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


def train_tracked(cell: ResolvedCell, exp_id: str, parent_id: str | None, *,
                  mirror: str | None = None, refresh: bool = False,
                  on_epoch=None) -> CellOutcome:
    """Train + evaluate one cell and log it; skips cells that already finished. A cell that
    another live sweep on the same store is training comes back "claimed" (its run id):
    the sweep waits for it only after measuring its own cells (`settle_claimed`), since two
    sweeps waiting for each other's unmeasured cells would wait forever."""
    start, spec, key = time.perf_counter(), cell.spec, cell.key
    if not refresh:
        if done := tracking.finished_cell_run(exp_id, key):
            return _cached(done, spec, key, "")
        if rivals := claims.live_claims(exp_id, key, parent_id):
            return _claimed(rivals[0].info.run_id, spec, key)
    run_id, model_dir = tracking.resumable_cell_run(
        exp_id, key, keep=lambda run: claims.claimed_elsewhere(run, parent_id))
    if run_id and not refresh:
        return CellOutcome(spec, key, "trained", run_id=run_id, model_dir=model_dir)
    with contextlib.ExitStack() as slot:
        # A worker slot from before the run starts until training ends: a queued cell has no
        # RUNNING run yet (a RUNNING run without a stage is training), and the next cell
        # trains while this one is logged.
        slot.enter_context(workers.training_slot())
        run_id = tracking.start_cell_run(exp_id, parent_id, spec.label, key,
                                         cell_tags(cell, environment()), cell_params(cell))
        if not refresh and (theirs := claims.won(exp_id, key, run_id, parent_id)):
            return _claimed(theirs, spec, key)  # another sweep claimed it a moment earlier
        try:
            began = time.time()
            trained = _train_with_oom_retry(cell, run_id, mirror, on_epoch)
            slot.close()
            log_trained_cell(run_id, trained, (began, time.time()))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.error("cell %s failed: %s\n%s", spec.label, error, traceback.format_exc())
            tracking.fail_cell_run(run_id, error)
            return CellOutcome(spec, key, "failed", run_id=run_id, error=error,
                               seconds=time.perf_counter() - start)
    return CellOutcome(spec, key, "trained", run_id=run_id, model_dir=trained.model_dir,
                       seconds=time.perf_counter() - start, summary=summary_line(trained))


def settle_claimed(outcome: CellOutcome, cell: ResolvedCell, exp_id: str,
                   parent_id: str | None, *, mirror: str | None = None,
                   threads: int | None = None, latency_calls: int = 200) -> CellOutcome:
    """A cell another sweep claimed, once this sweep has measured its own: its FINISHED run
    reused, or, when that sweep went away or its run failed, trained and measured here."""
    while outcome.status == "claimed":
        if claims.wait_for(outcome.run_id) == "FINISHED":
            return _cached(outcome.run_id, outcome.spec, outcome.key,
                           " (trained by another sweep)")
        outcome = train_tracked(cell, exp_id, parent_id, mirror=mirror)
    return measure_tracked(outcome, mirror=mirror, threads=threads,
                           latency_calls=latency_calls)


def _claimed(run_id: str, spec: CellSpec, key: str) -> CellOutcome:
    return CellOutcome(spec, key, "claimed", run_id=run_id,
                       summary="another sweep trains it; reused once it finishes")


def _cached(run_id: str, spec: CellSpec, key: str, by: str) -> CellOutcome:
    """A reused run, with its score: a cached cell printed without one looked untrained."""
    metric = schema.PRIMARY_METRIC[spec.task]
    score = tracking.run_metric(run_id, schema.test_metric(metric))
    scored = f"test {metric} {score:.3f}" if score is not None else f"no test {metric}"
    return CellOutcome(spec, key, "cached", run_id=run_id, summary=f"{scored}{by}")


def summary_line(cell: TrainedCell) -> str:
    """One line for a log without a terminal: the score, the training time, why it stopped."""
    metric = schema.PRIMARY_METRIC[cell.spec.task]
    score = cell.test.get(metric)
    scored = f"test {metric} {score:.3f}" if score is not None else f"no test {metric}"
    return (f"{scored}, trained {cell.train_seconds:.0f} s in {len(cell.epochs)} epochs, "
            f"{cell.stop_reason or 'unknown stop'}")


def _is_oom(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or "out of memory" in str(exc).lower()


def _train_with_oom_retry(cell: ResolvedCell, run_id: str, mirror: str | None, on_epoch):
    work_dir = home.models_dir()
    try:
        return workers.train_in_worker(cell, work_dir, mirror=mirror, on_epoch=on_epoch)
    except Exception as exc:  # out of memory: halve the batch and retry once
        if not _is_oom(exc):
            raise
        batch = cell.config.batch_size
        spec = cell.spec
        retry = replace(spec, overrides=tuple(sorted(
            {**dict(spec.overrides), "batch_size": max(1, batch // 2)}.items())))
        tracking.log_tags(run_id, {"zoo.oom_retry": f"batch_size {batch} -> {batch // 2}"})
        return workers.train_in_worker(resolve_cell(retry, cell.data_fingerprint), work_dir,
                                       mirror=mirror, on_epoch=on_epoch)


def measure_tracked(outcome: CellOutcome, *, mirror: str | None = None,
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


def busy_machine_warning(threads: int, probe_s: float = 0.5) -> str | None:
    """One line when other processes keep more cores busy than measuring leaves free: the
    sweep says so once before it times latencies (each run records its own load too)."""
    with MachineLoadMeter() as load:
        time.sleep(probe_s)
    if not load.result.busy(threads):
        return None
    return (f"the machine is busy: other processes use {load.result.others_busy_cores:.1f} of "
            f"{load.result.cores} cores; latencies measured now are flagged in the report as "
            "measured under load (run the sweep alone for comparable figures)")
