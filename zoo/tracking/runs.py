"""Benchmark (parent) and cell (child) runs: start, resume, log, finish, load."""
from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from pathlib import Path

import zoo.tracking.schema as schema  # noqa: PLR0402  (the leaf module, not the package)
from zoo.tracking.store import DEFAULT_EXPERIMENT, client


def _as_str(value: object) -> str:
    return str(value)[:5000]


def _of_kind(kind: str) -> str:
    """The search filter for parent (KIND_BENCHMARK) or cell (KIND_CELL) runs."""
    return f"tags.`{schema.KIND}` = '{kind}'"


def _log(run_id: str, *, params: Mapping[str, object] = {}, tags: Mapping[str, object] = {},
         metrics: Mapping[str, float] = {}, step: int = 0) -> None:
    from mlflow.entities import Metric, Param, RunTag

    now = int(time.time() * 1000)
    client().log_batch(
        run_id,
        metrics=[Metric(k, float(v), now, step) for k, v in metrics.items()],
        params=[Param(k, _as_str(v)) for k, v in params.items()],
        tags=[RunTag(k, _as_str(v)) for k, v in tags.items()],
    )


def start_parent_run(exp_id: str, name: str, tags: Mapping[str, object]) -> str:
    """The run that groups one benchmark invocation; records the pid so a killed one is found."""
    close_dead_parents(exp_id)
    run = client().create_run(exp_id, run_name=name, tags={
        schema.KIND: schema.KIND_BENCHMARK, schema.PARENT_PID: str(os.getpid()),
        schema.PARENT_HOST: socket.gethostname(), **{k: _as_str(v) for k, v in tags.items()}})
    # The sweep's shape as params too: the experiment page's columns show params, not tags.
    _log(run.info.run_id, params={k: tags[k] for k in schema.PARENT_PARAMS if k in tags})
    return run.info.run_id


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def close_dead_parents(exp_id: str) -> int:
    """Mark RUNNING benchmark runs whose process died on this host as KILLED."""
    c, closed = client(), 0
    for run in c.search_runs([exp_id], f"{_of_kind(schema.KIND_BENCHMARK)} and "
                                       "attributes.status = 'RUNNING'", max_results=1000):
        tags = run.data.tags
        if tags.get(schema.PARENT_HOST) == socket.gethostname() and not pid_alive(
                int(tags.get(schema.PARENT_PID, "0") or 0)):
            c.set_terminated(run.info.run_id, status="KILLED")
            closed += 1
    return closed


def finish_run(run_id: str, status: str = "FINISHED") -> None:
    client().set_terminated(run_id, status=status)


def finish_parent_run(run_id: str, counts: Mapping[str, int], wall_seconds: float,
                      status: str) -> None:
    """The sweep's summary on its parent run, so the MLflow UI's experiment page shows it
    without expanding the run: cells by status and the wall time."""
    metrics = {schema.cells_count(name): n for name, n in counts.items()}
    log_metrics(run_id, {**metrics, schema.CELLS_TOTAL: sum(counts.values()),
                         schema.SWEEP_WALL_SECONDS: wall_seconds})
    finish_run(run_id, status)


def cell_runs(exp_id: str, key: str) -> list:
    return client().search_runs([exp_id], f"tags.`{schema.CELL_KEY}` = '{key}'", max_results=100)


def finished_cell_run(exp_id: str, key: str) -> str | None:
    for run in cell_runs(exp_id, key):
        if run.info.status == "FINISHED":
            return run.info.run_id
    return None


def run_metric(run_id: str, name: str) -> float | None:
    """One metric's latest value on a run (None when it was never logged)."""
    return client().get_run(run_id).data.metrics.get(name)


def finished_cell_keys(exp_id: str) -> set[str]:
    """The cache keys of every FINISHED cell run of the experiment, in one paged search."""
    c, keys, token = client(), set(), None
    while True:
        page = c.search_runs([exp_id], f"{_of_kind(schema.KIND_CELL)} and attributes.status = "
                                       "'FINISHED'", max_results=1000, page_token=token)
        keys.update(r.data.tags.get(schema.CELL_KEY, "") for r in page)
        token = page.token
        if not token:
            return keys


def resumable_cell_run(exp_id: str, key: str, keep=None) -> tuple[str | None, str | None]:
    """(run id, model dir) of a cell trained but not yet measured; other leftovers are KILLED,
    except the runs `keep(run)` says another live sweep owns (zoo.tracking.claims)."""
    found: tuple[str | None, str | None] = (None, None)
    for run in cell_runs(exp_id, key):
        if run.info.status != "RUNNING" or (keep is not None and keep(run)):
            continue
        model_dir = run.data.tags.get(schema.MODEL_DIR, "")
        if (found[0] is None and run.data.tags.get(schema.STAGE) == schema.STAGE_TRAINED
                and Path(model_dir).is_dir()):
            found = (run.info.run_id, model_dir)
        else:
            client().set_tag(run.info.run_id, schema.ERROR, "interrupted before it finished")
            client().set_terminated(run.info.run_id, status="KILLED")
    return found


def start_cell_run(exp_id: str, parent_id: str | None, name: str, key: str,
                   tags: Mapping[str, object], params: Mapping[str, object]) -> str:
    all_tags = {schema.KIND: schema.KIND_CELL, schema.CELL_KEY: key,
                **{k: _as_str(v) for k, v in tags.items()}}
    if parent_id:
        all_tags[schema.PARENT] = parent_id
    run_id = client().create_run(exp_id, run_name=name, tags=all_tags).info.run_id
    _log(run_id, params=params)
    return run_id


def log_metrics(run_id: str, metrics: Mapping[str, float], step: int = 0) -> None:
    clean = {k: v for k, v in metrics.items() if v is not None and v == v}  # drop NaN
    _log(run_id, metrics=clean, step=step)


def log_tags(run_id: str, tags: Mapping[str, object]) -> None:
    _log(run_id, tags=tags)


def log_curve(run_id: str, name: str, values: list[float]) -> None:
    """A per-epoch curve as one metric with steps 1..n (MLflow draws it as a chart)."""
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    metrics = [Metric(name, float(v), now, i + 1) for i, v in enumerate(values)]
    if metrics:
        client().log_batch(run_id, metrics=metrics)


def fail_cell_run(run_id: str, error: str) -> None:
    client().set_tag(run_id, schema.ERROR, error[:5000])
    client().set_terminated(run_id, status="FAILED")


def load_runs(experiment: str = DEFAULT_EXPERIMENT) -> list[dict]:
    """Every cell run of an experiment as a plain dict: id, status, tags, params, metrics."""
    c = client()
    exp = c.get_experiment_by_name(experiment)
    if exp is None:
        return []
    runs, token = [], None
    while True:
        page = c.search_runs([exp.experiment_id], _of_kind(schema.KIND_CELL),
                             max_results=1000, page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            break
    return [{"run_id": r.info.run_id, "status": r.info.status, "start_time": r.info.start_time,
             "end_time": r.info.end_time, "tags": dict(r.data.tags),
             "params": dict(r.data.params), "metrics": dict(r.data.metrics)} for r in runs]


def load_parent_runs(experiment: str = DEFAULT_EXPERIMENT) -> list[dict]:
    c = client()
    exp = c.get_experiment_by_name(experiment)
    if exp is None:
        return []
    runs = c.search_runs([exp.experiment_id], _of_kind(schema.KIND_BENCHMARK), max_results=200,
                         order_by=["attributes.start_time DESC"])
    return [{"run_id": r.info.run_id, "status": r.info.status, "start_time": r.info.start_time,
             "tags": dict(r.data.tags)} for r in runs]


