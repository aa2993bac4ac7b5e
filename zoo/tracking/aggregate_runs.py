"""Aggregate runs: one MLflow run per leaderboard row (model x dataset x training size x
environment), written for browsing the MLflow UI; publish.aggregates decides what they carry.

A row's run is found again by its AGGREGATE_KEY tag and rewritten in place, never duplicated:
its metrics are logged at the next revision (the step), so the run's latest values are the
row's current ones and the history keeps the earlier ones; a metric the row no longer has is
logged as NaN rather than left showing a stale value. MLflow params are immutable, so an
aggregate run has none. Runs whose row is gone from the report, and duplicates of one key
(two writers at once), are deleted (MLflow's soft delete; `mlflow gc` purges them).

The cell runs' readers never see these runs: they search on `zoo.kind = 'cell'`, or on a
CELL_KEY, which an aggregate run does not carry.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import zoo.tracking.schema as schema  # noqa: PLR0402  (the leaf module, not the package)
from zoo.tracking.runs import _as_str, _of_kind
from zoo.tracking.store import client


@dataclass(frozen=True)
class AggregateRun:
    """What one row's aggregate run should show. A metric that is None is not known (one
    seed has no sd): left out of a new run, NaN on a run that had it."""

    key: str  # the row's identity (schema.AGGREGATE_KEY)
    name: str  # the run's name in the UI
    parent_id: str | None  # the benchmark run to nest it under
    metrics: Mapping[str, float | None]
    tags: Mapping[str, str]


@dataclass(frozen=True)
class Written:
    """What `write_aggregate_runs` did, run by run."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0  # rows gone from the report, and duplicates

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def load_aggregate_runs(exp_id: str) -> dict[str, list]:
    """AGGREGATE_KEY -> the experiment's live aggregate runs of that key, oldest first."""
    c, found, token = client(), {}, None
    while True:
        page = c.search_runs([exp_id], _of_kind(schema.KIND_AGGREGATE), max_results=1000,
                             page_token=token, order_by=["attributes.start_time ASC"])
        for run in page:
            found.setdefault(run.data.tags.get(schema.AGGREGATE_KEY, ""), []).append(run)
        token = page.token
        if not token:
            return found


def write_aggregate_runs(exp_id: str, wanted: Iterable[AggregateRun]) -> Written:
    """Create, rewrite or leave each wanted run; delete the aggregate runs no row wants."""
    existing = load_aggregate_runs(exp_id)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}
    for agg in wanted:
        runs = existing.pop(agg.key, [])
        for extra in runs[1:]:  # two writers raced: keep the oldest
            client().delete_run(extra.info.run_id)
            counts["deleted"] += 1
        if not runs:
            _create(exp_id, agg)
            counts["created"] += 1
        elif _rewrite(runs[0], agg):
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    for stale in existing.values():
        for run in stale:
            client().delete_run(run.info.run_id)
            counts["deleted"] += 1
    return Written(**counts)


def _tags(agg: AggregateRun, revision: int) -> dict[str, str]:
    tags = {**agg.tags, schema.KIND: schema.KIND_AGGREGATE, schema.AGGREGATE_KEY: agg.key,
            schema.AGGREGATE_REVISION: str(revision)}
    if agg.parent_id:
        tags[schema.PARENT] = agg.parent_id
    return {k: _as_str(v) for k, v in tags.items()}


def _log(run_id: str, metrics: Mapping[str, float], tags: Mapping[str, str],
         step: int) -> None:
    from mlflow.entities import Metric, RunTag  # heavy: only when writing

    now = int(time.time() * 1000)
    client().log_batch(run_id, metrics=[Metric(k, v, now, step) for k, v in metrics.items()],
                       tags=[RunTag(k, v) for k, v in tags.items()])


def _create(exp_id: str, agg: AggregateRun) -> str:
    tags = _tags(agg, 1)
    run_id = client().create_run(exp_id, run_name=agg.name, tags=tags).info.run_id
    _log(run_id, {k: float(v) for k, v in agg.metrics.items() if _known(v)}, {}, step=1)
    client().set_terminated(run_id, status="FINISHED")
    return run_id


def _known(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _same(old: float | None, new: float | None) -> bool:
    if not _known(old) or not _known(new):
        return _known(old) == _known(new)
    return math.isclose(old, new, rel_tol=1e-9, abs_tol=1e-12)


def _rewrite(run, agg: AggregateRun) -> bool:
    """Log the row's values at the next revision when any differs; False: nothing to do."""
    old_metrics, old_tags = run.data.metrics, run.data.tags
    keys = set(agg.metrics) | set(old_metrics)
    revision = int(old_tags.get(schema.AGGREGATE_REVISION, "1") or 1)
    # The zoo's tags the row no longer has (a tie broken); MLflow's own (mlflow.*) stay.
    dropped = [k for k in old_tags if k not in _tags(agg, revision) and not k.startswith(
        "mlflow.")]
    renamed = run.info.run_name != agg.name
    if (not dropped and not renamed and _tags(agg, revision).items() <= old_tags.items()
            and all(_same(old_metrics.get(k), agg.metrics.get(k)) for k in keys)):
        return False
    metrics = {k: float(v) if _known(v := agg.metrics.get(k)) else math.nan for k in keys}
    _log(run.info.run_id, metrics, _tags(agg, revision + 1), step=revision + 1)
    for key in dropped:
        client().delete_tag(run.info.run_id, key)
    if renamed:
        client().update_run(run.info.run_id, name=agg.name)
    return True
