"""Seed aggregates in MLflow: one run per leaderboard row (model x dataset x training size,
within the report's environment grouping), so the MLflow UI compares rows in one table
(`tags.zoo.kind = 'aggregate'`, sorted by `test/primary`) instead of one run per seed.

Everything a row's run carries is the report's own (reports.build, .leaderboard, .ranking,
.usable, used as a library): the quality mean and sd over seeds and the leaderboard's 95% CI,
the seed count, usable or not and why, the rank (tie groups share one; unusable rows have
none). Latency p90 and size are the means over seeds the leaderboard shows, with their sd and
a Student-t 95% CI over seeds, computed here (the report states no interval for them).
Values keep the cell runs' units and keys (test/accuracy is a fraction, as on a cell run).

`publish_aggregates(experiment)` runs after the report is rendered: at the end of a sweep
(flows/register.py) and on `zoo report`. The report never reads these runs.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping, Sequence

from reports.build import Report, Section
from reports.ranking import Row, mean_sd
from reports.render import load_report
from reports.runs import SCALE, Cell
from reports.usable import p_text
from zoo.tracking import schema
from zoo.tracking.aggregate_runs import AggregateRun, Written, write_aggregate_runs

# The headline speed and size keys, as the cell runs log them.
SPREAD_KEYS = (schema.LATENCY_P90, schema.SIZE_BYTES, schema.SIZE_PARAMS)
DESCRIPTION = (
    "Aggregate of the seed runs listed in `zoo.seed_runs` (one leaderboard row of the "
    "decision guide; written by `zoo report`, never read by it). Quality: mean over seeds, "
    "`_sd` the standard deviation over seeds, `_ci_low`/`_ci_high` the leaderboard's 95% CI "
    "(paired bootstrap over test examples of the seed mean where per-example statistics "
    "were logged, else the mean of the seeds' own bootstrap CIs). Latency and size: mean, "
    "sd and Student-t 95% CI over seeds. `aggregate/rank`: the leaderboard's rank among "
    "usable rows (tie groups share a rank).")


def publish_aggregates(experiment: str) -> Written:
    """Read the experiment's report (cell runs only) and write one aggregate run per row."""
    report, exp_id = load_report(experiment, analysis=False)
    if exp_id is None:
        return Written()
    return write_aggregate_runs(exp_id, aggregate_runs(report))


def aggregate_runs(report: Report) -> list[AggregateRun]:
    return [aggregate_run(section, row, report.cells) for section, row in leaderboard_rows(report)]


def leaderboard_rows(report: Report) -> Iterator[tuple[Section, Row]]:
    """Every ranked row of every section at every measured size (the largest size's rows
    are the ones the leaderboard shows, with their Pareto marks)."""
    for section in report.sections:
        for n_train, rows in sorted(section.rows_by_size.items()):
            yield from ((section, row) for row in
                        (section.rows if n_train == section.n_full else rows))


def row_key(section: Section, row: Row) -> str:
    return "|".join((section.task, section.dataset, section.env_id, row.model,
                     str(row.n_train)))


def aggregate_run(section: Section, row: Row, cells: Mapping[str, Cell]) -> AggregateRun:
    seeds = [cells[r] for r in row.run_ids if r in cells]
    newest = max(seeds, key=lambda c: (c.start_time, c.run_id), default=None)
    return AggregateRun(
        key=row_key(section, row),
        name=f"{row.model}/{section.dataset}/{row.n_train} ex/{len(row.run_ids)}-seed mean",
        parent_id=newest.tags.get(schema.PARENT) if newest else None,
        metrics={**quality_metrics(section, row), **spread_metrics(seeds),
                 schema.TRAIN_EXAMPLES: float(row.n_train),
                 schema.AGGREGATE_SEEDS: float(row.quality[section.metric].n)
                 if section.metric in row.quality else 0.0,
                 schema.AGGREGATE_RANK: None if row.rank is None else float(row.rank),
                 schema.AGGREGATE_USABLE: float(usable(row))},
        tags=row_tags(section, row, seeds))


def quality_metrics(section: Section, row: Row) -> dict[str, float | None]:
    """test/<metric> (and test/primary for the primary one): mean, _sd, _ci_low, _ci_high
    of the leaderboard's Stat, back in the unit the cell runs log (display points / SCALE)."""
    out: dict[str, float | None] = {}
    for metric, stat in row.quality.items():
        scale = SCALE.get(metric, 1.0)
        values = {"": stat.mean, schema.SD: stat.sd, schema.CI_LOW: stat.ci_low,
                  schema.CI_HIGH: stat.ci_high}
        names = [metric] + ([schema.PRIMARY] if metric == section.metric else [])
        for name in names:
            out.update({schema.test_metric(name, suffix): None if v is None else v / scale
                        for suffix, v in values.items()})
    return out


def spread_metrics(seeds: Sequence[Cell]) -> dict[str, float | None]:
    """Mean, sd and Student-t 95% CI over seeds of latency p90 and size."""
    out: dict[str, float | None] = {}
    for key in SPREAD_KEYS:
        mean, sd, n = mean_sd(c.metric(key) for c in seeds)
        low, high = t_interval(mean, sd, n)
        out.update({key: mean, f"{key}{schema.SD}": sd, f"{key}{schema.CI_LOW}": low,
                    f"{key}{schema.CI_HIGH}": high})
    return out


def t_interval(mean: float | None, sd: float | None, n: int,
               ) -> tuple[float | None, float | None]:
    """The 95% Student-t interval of a mean of n values; none below two values."""
    if mean is None or sd is None or n < 2:
        return None, None
    from scipy.stats import t  # heavy; scikit-learn's dependency, so always installed

    half = float(t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return mean - half, mean + half


def usable(row: Row) -> bool:
    return bool(row.usability and row.usability.usable)


def usable_reason(row: Row) -> str:
    """Why the row may decide nothing, or what made it usable (reports.usable's rule)."""
    status = row.usability
    if status is None:
        return "not assessed"
    if not status.usable:
        return status.reason
    if status.above_floor:
        return f"converged, above the floor ({p_text(status.floor_p)})"
    return "converged (no floor measured at this size)"


def row_tags(section: Section, row: Row, seeds: Sequence[Cell]) -> dict[str, str]:
    """The cell runs' own tag keys where they mean the same (the UI's columns line up)."""
    first = seeds[0] if seeds else None
    tags = {schema.MODEL: row.model, schema.TASK: section.task,
            schema.DATASET: section.dataset, schema.ENV_ID: section.env_id,
            schema.FAMILY: row.family, schema.RUNTIME: row.runtime,
            schema.PRIMARY_METRIC_TAG: section.metric,
            schema.TRAIN_EXAMPLES_TAG: str(row.n_train),
            schema.TRAIN_SIZE: ",".join(sorted({c.train_size for c in seeds})),
            schema.PROFILE: ",".join(sorted({c.profile for c in seeds})),
            schema.SEED_LIST: ",".join(row.seeds), schema.SEED_RUNS: ",".join(row.run_ids),
            schema.USABLE: "true" if usable(row) else "false",
            schema.USABLE_REASON: usable_reason(row), schema.DESCRIPTION: DESCRIPTION}
    if first is not None and first.smoke is not None:
        tags[schema.SMOKE] = schema.smoke_value(first.smoke)
    if row.rank is not None and row.tie_ref and row.tie_ref != row.model:
        tags[schema.TIED_WITH] = row.tie_ref
    return tags


def publish_aggregates_line(experiment: str) -> str:
    """Publish, and say what was written and how long it took (reading the report included)."""
    began = time.perf_counter()
    written = publish_aggregates(experiment)
    return (f"MLflow aggregate runs: {written.total} rows ({written.created} created, "
            f"{written.updated} updated, {written.unchanged} unchanged, {written.deleted} "
            f"deleted) in {time.perf_counter() - began:.1f} s")
