"""The `benchmark` flow: prepare data -> train cells (parallel) -> measure (serial) -> report."""
from __future__ import annotations

import sys
import time
from dataclasses import asdict

from prefect import flow, get_run_logger, task
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from flows.register import register_models
from reports.artifacts import publish_prefect_artifacts
from reports.render import render_report
from zoo import store_lock, tracking
from zoo.cells import CellSpec, ResolvedCell
from zoo.configs import get_profile
from zoo.progress import reporter
from zoo.sweep import cost, stopping, workers
from zoo.sweep.datastore import load_data, resolve_cells
from zoo.sweep.plan import plan_cells
from zoo.sweep.pretrain import pending_pretraining, run_pretraining
from zoo.sweep.run import (
    CellOutcome,
    busy_machine_warning,
    measure_tracked,
    settle_claimed,
    train_tracked,
)
from zoo.tracking import schema


@task(name="prepare-data", task_run_name="prepare {name}", retries=2, retry_delay_seconds=5)
def prepare_data_task(name: str, mirror: str | None, refresh: bool) -> dict:
    """One dataset prepared (a cache read when it is there); the prepare_data flow's task too."""
    data = load_data(name, mirror, refresh=refresh)
    return {"dataset": name, "fingerprint": data.fingerprint, "from_cache": data.from_cache,
            **{split: len(rows) for split, rows in data.splits.items()}}


@task(name="pretrain", task_run_name="pretrain")
def pretrain_task(cells: list[CellSpec], mirror: str | None) -> list[dict]:
    """Pretraining the planned models need (the biLM, once per language): in one worker
    process of the cell pool, beside the cells that need none; without a pool (the Dask
    runner), here on every core before any cell trains."""
    if not workers.pool_open():
        workers.set_threads(workers.default_parallelism(1)[1])
    reporter().status("pretrain")
    return run_pretraining(cells, mirror)


@task(name="train-cell", tags=["train"], task_run_name="train {cell.label}",
      retries=1, retry_delay_seconds=5)  # model errors are FAILED runs; retries are for I/O
def train_cell_task(cell: ResolvedCell, exp_id: str, parent_id: str, mirror: str | None,
                    refresh: bool, threads: int) -> CellOutcome:
    workers.set_threads(threads)
    reporter().status(f"train {cell.label}")
    outcome = train_tracked(
        cell, exp_id, parent_id, mirror=mirror, refresh=refresh,
        on_epoch=lambda log: reporter().epoch(cell.label, log.epoch, log.of_epochs,
                                              log.dev_score))
    reporter().step_done(cell.label, outcome.status, outcome.summary or outcome.error or "")
    _log_step(f"trained {cell.label}", outcome.status, outcome.summary or outcome.error)
    return outcome


@task(name="measure-cell", task_run_name="measure {outcome.spec.label}")
def measure_cell_task(outcome: CellOutcome, mirror: str | None, threads: int,
                      latency_calls: int) -> CellOutcome:
    reporter().status(f"measure {outcome.spec.label}")
    measured = measure_tracked(outcome, mirror=mirror, threads=threads,
                               latency_calls=latency_calls)
    reporter().step_done(outcome.spec.label, measured.status, measured.error or "")
    _log_step(f"measured {outcome.spec.label}", measured.status, measured.error)
    return measured


@task(name="settle-claimed-cell", task_run_name="reuse {outcome.spec.label}")
def settle_claimed_task(outcome: CellOutcome, cell: ResolvedCell, exp_id: str, parent_id: str,
                        mirror: str | None, threads: int, latency_calls: int) -> CellOutcome:
    reporter().status(f"wait for {outcome.spec.label} (another sweep trains it)")
    settled = settle_claimed(outcome, cell, exp_id, parent_id, mirror=mirror, threads=threads,
                             latency_calls=latency_calls)
    reporter().step_done(cell.label, settled.status, settled.summary or settled.error or "")
    _log_step(f"settled {cell.label}", settled.status, settled.summary or settled.error)
    return settled


def _log_step(what: str, status: str, detail: str | None) -> None:
    """The same line the terminal shows, in the task run's log (the Prefect UI's view)."""
    line = f"{what}: {status}" + (f", {detail}" if detail else "")
    logger = get_run_logger()
    (logger.warning if status == "failed" else logger.info)(line)


@task(name="render-report", task_run_name="report {experiment}")
def report_task(experiment: str, out_dir: str | None) -> str:
    path = render_report(experiment=experiment, out_dir=out_dir)
    try:  # the summary where the flow run is browsed; the report file exists either way
        publish_prefect_artifacts(path)
    except Exception as exc:  # noqa: BLE001
        get_run_logger().warning("Prefect artifacts not published: %s", exc)
    return str(path)


def submit_bounded(items: list, limit: int, submit, running: list | None = None) -> list:
    """`submit(item)` for each item, with at most `limit` futures unfinished at a time,
    counting the already `running` ones (e.g. the pretraining) against the limit.

    Why here and not only in the task runner: a deployment runs the flow with the runner
    fixed when the module was imported, so the `parallel` parameter must bound it itself.
    """
    futures, running = [], list(running or [])
    for item in items:
        while len(running) >= limit:
            running.remove(next(as_completed(running)))
        future = submit(item)
        futures.append(future)
        running.append(future)
    return futures


def summarize(outcomes: list[CellOutcome]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    return counts


# One task thread more than cells in parallel: the next cell waits, queued, in the worker
# pool while the parent logs the one before it (a worker never idles on MLflow logging).
QUEUED_CELLS = 1


@flow(name="benchmark", log_prints=True,
      task_runner=ThreadPoolTaskRunner(max_workers=workers.default_parallelism()[0]
                                       + QUEUED_CELLS))
def benchmark(profile: str = "quick", datasets: list[str] | None = None,
              models: list[str] | None = None, train_sizes: list[int | float] | None = None,
              seeds: list[int] | None = None, variants: list[str] | None = None,
              overrides: dict | None = None, refresh: bool = False,
              experiment: str = tracking.DEFAULT_EXPERIMENT, report_dir: str | None = None,
              data_mirror: str | None = None, latency_calls: int = 200,
              parallel: int | None = None, register_picks: bool = True) -> dict:
    """Train, evaluate and measure every cell of the matrix, log to MLflow, render the guide.
    One sweep at a time per store: a second waits for the first (zoo.store_lock).

    Typed parameters (Prefect checks them): dataset names, model glob patterns, training
    sizes (an int is a count, a float a fraction in (0, 1]) and seeds; None or empty: the
    profile's. `zoo bench` parses its options into these once (zoo.sweep.matrix)."""
    logger = get_run_logger()
    with store_lock.holding(f"benchmark flow, profile {profile}", wait=True, log=logger.warning):
        matrix = dict(datasets=datasets, models=models, train_sizes=train_sizes, seeds=seeds,
                      overrides=overrides, variants=variants)
        result = _sweep(logger, profile, matrix, refresh, experiment, report_dir, data_mirror,
                        latency_calls, parallel)
        if register_picks:  # after the report, which only reads MLflow (flows/register.py)
            result["registered"] = register_models(experiment)
        return result


def _sweep(logger, profile, matrix: dict, refresh, experiment, report_dir, data_mirror,
           latency_calls, parallel) -> dict:
    """`matrix`: plan_cells' keyword arguments (datasets, models, sizes, seeds, overrides,
    variants) as the flow received them."""
    started = time.monotonic()
    cells = plan_cells(profile, **matrix)
    tracking.check_reachable()
    parallel, threads = workers.default_parallelism(parallel)
    exp_id = tracking.experiment_id(experiment)
    parent_id = tracking.start_parent_run(exp_id, f"benchmark-{profile}",
                                          parent_tags(profile, cells, parallel, threads))
    logger.info("benchmark %s: %d cells, %d in parallel x %d threads", profile, len(cells),
                parallel, threads)
    if link := tracking.experiment_link(exp_id):  # once per sweep, not once per cell
        # Not print(): with log_prints=True Prefect turns it into a log record the console
        # does not show.
        sys.stdout.write(f"MLflow experiment: {link}\n")
    progress = stopping.SweepProgress(len(cells))
    with stopping.stoppable(exp_id, parent_id, progress):
        return _run_cells(logger, cells, exp_id, parent_id, progress, parallel, threads,
                          refresh, experiment, report_dir, data_mirror, latency_calls, started)


def _run_cells(logger, cells, exp_id, parent_id, progress, parallel, threads, refresh,
               experiment, report_dir, data_mirror, latency_calls, started) -> dict:
    reporter().start(2 * len(cells))  # train + measure per cell
    for name in sorted({c.dataset for c in cells}):
        reporter().status(f"prepare {name}")
        prepare_data_task(name, data_mirror, refresh)
    resolved = resolve_cells(cells, data_mirror)  # once: config, fingerprint, cache key
    # Cells train in worker processes (zoo.sweep.workers: threads of one process share its GIL);
    # with the Dask runner the tasks already run in Dask's worker processes. The biLM
    # pretrains in one of them while the others train; an ELMo cell that starts before it
    # is done waits on the pretraining cache's lock.
    to_pretrain = pending_pretraining(resolved, exp_id, refresh)
    with workers.cell_pool(parallel, threads):
        pretraining = [pretrain_task.submit(to_pretrain, data_mirror)] if to_pretrain else []
        futures = submit_bounded(cost.longest_first(resolved), parallel + QUEUED_CELLS,
                                 lambda cell: progress.follow(train_cell_task.submit(
                                     cell, exp_id, parent_id, data_mirror, refresh, threads)),
                                 running=pretraining)
        trained = [f.result() for f in futures]
    for row in (pretraining[0].result() if pretraining else []):
        logger.info("pretrained for %s (%s): %.0f s, held-out perplexity %.1f", row["model"],
                    row["language"], row["seconds"],
                    row.get(schema.PRETRAIN_PERPLEXITY, float("nan")))
    # Latency is measured only now, one cell at a time, with no training running beside it.
    if any(o.status == "trained" for o in trained) and (busy := busy_machine_warning(threads)):
        logger.warning(busy)
    outcomes = [measure_cell_task(o, data_mirror, threads, latency_calls)
                if o.status != "claimed" else o for o in trained]
    # Cells another sweep on the same store was training: waited for only now, after this
    # sweep measured its own (zoo.tracking.claims), so two sweeps never wait on each other.
    by_key = {cell.key: cell for cell in resolved}
    outcomes = [settle_claimed_task(o, by_key[o.key], exp_id, parent_id, data_mirror, threads,
                                    latency_calls) if o.status == "claimed" else o
                for o in outcomes]
    counts = summarize(outcomes)
    failed = [o for o in outcomes if o.status == "failed"]
    for o in failed:
        logger.warning("FAILED %s: %s", o.spec.label, o.error)
    reporter().status("render report")
    report = report_task(experiment, report_dir)
    tracking.finish_parent_run(parent_id, counts, time.monotonic() - started,
                               "FAILED" if failed and len(failed) == len(outcomes)
                               else "FINISHED")
    logger.info("cells: %s; report: %s", counts, report)
    return {"counts": counts, "report": report, "parent_run_id": parent_id,
            "failed": [{"cell": o.spec.label, "error": o.error} for o in failed],
            "cells": [asdict(o.spec) | {"status": o.status, "run_id": o.run_id}
                      for o in outcomes]}


def parent_tags(profile: str, cells: list[CellSpec], parallel: int, threads: int,
                ) -> dict[str, object]:
    """The benchmark (parent) run's tags: the profile, whether it is a smoke profile, the
    sweep's shape and its plan (the report reads the profile, smoke and plan tags)."""
    return {schema.PROFILE: profile, schema.SMOKE: schema.smoke_value(get_profile(profile).smoke),
            schema.SWEEP_CELLS: len(cells), schema.SWEEP_PARALLEL: parallel,
            schema.SWEEP_THREADS: threads, **plan_tags(cells)}


def plan_tags(cells: list[CellSpec]) -> dict[str, str]:
    """The planned matrix, so the report can list cells that never produced a run; per
    dataset too: profiles size and seed datasets apart (wnut16 at 1.0, tatoeba at 3000 with
    one seed), and the union would list cells never planned as missing."""
    def joined(values) -> str:
        return ",".join(sorted({str(v) for v in values}))

    names = sorted({c.dataset for c in cells})
    return {schema.PLAN_DATASETS: ",".join(names),
            schema.plan_sizes(): joined(c.train_size for c in cells),
            schema.plan_seeds(): joined(c.seed for c in cells),
            **{schema.plan_sizes(n): joined(c.train_size for c in cells if c.dataset == n)
               for n in names},
            **{schema.plan_seeds(n): joined(c.seed for c in cells if c.dataset == n)
               for n in names},
            **{schema.plan_sizes(n, m): joined(s) for (n, m), s in _own_sizes(cells).items()}}


def _own_sizes(cells: list[CellSpec]) -> dict[tuple[str, str], set]:
    """(dataset, model) -> sizes, for the models a profile plans at other sizes than the rest
    of their dataset (`only_at`), which the report must not call missing elsewhere."""
    by_dataset: dict[str, set] = {}
    by_model: dict[tuple[str, str], set] = {}
    for c in cells:
        by_dataset.setdefault(c.dataset, set()).add(c.train_size)
        by_model.setdefault((c.dataset, c.model), set()).add(c.train_size)
    return {k: v for k, v in by_model.items() if v != by_dataset[k[0]]}


def benchmark_with_runner(parallel: int | None = None, runner: str = "threads",
                          dask_address: str | None = None):
    """The flow with its task runner chosen: threads (default) or a Dask cluster."""
    if runner == "dask":
        # Imported here: prefect-dask is an optional extra, needed only for the Dask runner.
        from prefect_dask import DaskTaskRunner

        if dask_address:
            workers.check_dask(dask_address)
            task_runner = DaskTaskRunner(address=dask_address)
        else:
            task_runner = DaskTaskRunner(cluster_kwargs={
                "n_workers": parallel or 2, "threads_per_worker": 1, "processes": True})
    else:
        task_runner = ThreadPoolTaskRunner(max_workers=(parallel or workers.default_parallelism()[0])
                                           + QUEUED_CELLS)
    return benchmark.with_options(task_runner=task_runner)
