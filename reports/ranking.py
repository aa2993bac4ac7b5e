"""Leaderboards, rank tie groups and the accuracy-latency Pareto front: pure functions.

Input: the cells of one section (task, dataset, environment) from `reports.runs`. Output:
one `Row` per model at one training size, with the quality mean ± sd over seeds in display
points, the bootstrap CI, speed and size. No I/O, no mlflow.
"""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from reports.runs import QUALITY, Cell, primary_metric, size_key
from reports.significance import Comparison
from reports.usable import Usability
from zoo.tracking import schema


@dataclass(frozen=True)
class Stat:
    """A quality metric over seeds, in display points."""

    mean: float | None
    sd: float | None  # None with one seed
    n: int  # seeds with a value
    ci_low: float | None = None
    ci_high: float | None = None

    @property
    def ci(self) -> tuple[float | None, float | None]:
        return (self.ci_low, self.ci_high)


def mean_sd(values: Iterable[float | None]) -> tuple[float | None, float | None, int]:
    vals = [v for v in values if v is not None]
    if not vals:
        return None, None, 0
    return statistics.fmean(vals), (statistics.stdev(vals) if len(vals) > 1 else None), len(vals)


def _mean(values: Iterable[float | None]) -> float | None:
    return mean_sd(values)[0]


@dataclass(frozen=True)
class Row:
    """One model at one training size in one section."""

    model: str
    family: str
    runtime: str
    base: str | None
    n_train: int
    seeds: tuple[str, ...]
    run_ids: tuple[str, ...]
    quality: dict[str, Stat]
    latency_p50: float | None = None
    latency_p90: float | None = None
    latency_p99: float | None = None
    # Some seed's latency was timed while other processes kept the cores busy
    # (zoo.measure.MachineLoadMeter): not comparable with figures measured alone.
    latency_under_load: bool = False
    throughput: float | None = None
    params: float | None = None
    size_bytes: float | None = None
    train_seconds: float | None = None
    rank: int | None = None  # shared by a tie group; None: no quality value
    tie_ref: str | None = None  # the model heading this row's tie group
    tie: Comparison | None = None  # this row against `tie_ref`
    pareto: bool | None = None  # None: latency or quality missing
    dominated_by: str | None = None
    run_scores: dict[str, float] = field(default_factory=dict)  # run id -> primary, points
    usability: Usability | None = None  # None: not assessed (counts as usable)
    twins: Mapping[str, str] = field(default_factory=dict)  # reports.runs.Cell.twins
    pretrained: str = ""  # reports.runs.Cell.pretrained
    encoder_mode: str = ""  # reports.runs.Cell.encoder_mode
    # None: no biLM of its own; else every seed's biLM converged (reports.runs.Cell).
    bilm_converged: bool | None = None

    def q(self, metric: str) -> float | None:
        stat = self.quality.get(metric)
        return stat.mean if stat else None


def aggregate(cells: Sequence[Cell], task: str, n_train: int | None = None) -> list[Row]:
    """One row per model from the finished cells at one training size (default: largest),
    sorted best first on the primary metric (models without a value last)."""
    sized = [c for c in cells if c.task == task]
    if not sized:
        return []
    if n_train is None:
        n_train = max((c.n_train or 0) for c in sized)
    groups: dict[str, list[Cell]] = defaultdict(list)
    for cell in sized:
        if (cell.n_train or 0) == n_train:
            groups[cell.model].append(cell)
    primary = primary_metric(task)
    rows = []
    for model, group in groups.items():
        group.sort(key=lambda c: size_key(c.seed))
        quality = {}
        for metric in QUALITY.get(task, ()):
            mean, sd, n = mean_sd(c.quality(metric) for c in group)
            quality[metric] = Stat(mean, sd, n,
                                   _mean(c.quality(metric, schema.CI_LOW) for c in group),
                                   _mean(c.quality(metric, schema.CI_HIGH) for c in group))
        first = group[0]
        bilm = [c.bilm_converged for c in group]
        rows.append(Row(
            model=model, family=first.family, runtime=first.runtime, base=first.base,
            twins=first.twins, pretrained=first.pretrained, encoder_mode=first.encoder_mode,
            bilm_converged=None if all(b is None for b in bilm) else all(bilm),
            n_train=n_train, seeds=tuple(c.seed for c in group),
            run_ids=tuple(c.run_id for c in group), quality=quality,
            latency_p50=_mean(c.metric(schema.LATENCY_P50) for c in group),
            latency_p90=_mean(c.metric(schema.LATENCY_P90) for c in group),
            latency_p99=_mean(c.metric(schema.LATENCY_P99) for c in group),
            latency_under_load=any(c.metric(schema.LATENCY_UNDER_LOAD) == 1.0 for c in group),
            throughput=_mean(c.metric(schema.THROUGHPUT_EXAMPLES) for c in group),
            params=_mean(c.metric(schema.SIZE_PARAMS) for c in group),
            size_bytes=_mean(c.metric(schema.SIZE_BYTES) for c in group),
            train_seconds=_mean(c.metric(schema.TRAIN_SECONDS) for c in group),
            run_scores={c.run_id: v for c in group if (v := c.quality(primary)) is not None}))
    return sort_rows(rows, primary)


def sort_rows(rows: Iterable[Row], metric: str) -> list[Row]:
    return sorted(rows, key=lambda r: (r.q(metric) is None, -(r.q(metric) or 0.0), r.model))


Compare = Callable[[Row, Row], Comparison]


def rank_tie_groups(rows: Sequence[Row], metric: str, compare: Compare) -> list[Row]:
    """Competition ranks where ties share a rank: the best model and every model not
    significantly worse than it form group 1; the best of the rest heads the next group.

    A pair that cannot be tested (no statistics, no CI) is not called a tie: it gets the next
    rank by mean. Rows without a value for `metric` get rank None and come last.
    """
    remaining = [r for r in sort_rows(rows, metric) if r.q(metric) is not None]
    out: list[Row] = []
    position = 1
    while remaining:
        ref, rest, group = remaining[0], [], []
        group.append(replace(ref, rank=position, tie_ref=ref.model, tie=None))
        for other in remaining[1:]:
            result = compare(ref, other)
            if result.significant is False:
                group.append(replace(other, rank=position, tie_ref=ref.model, tie=result))
            else:
                rest.append(other)
        out.extend(group)
        position += len(group)
        remaining = rest
    missing = [replace(r, rank=None, tie_ref=None, tie=None) for r in rows if r.q(metric) is None]
    return out + sorted(missing, key=lambda r: r.model)


def tie_group(rows: Sequence[Row], model: str) -> list[Row]:
    """The rows sharing `model`'s rank (including it)."""
    target = next((r for r in rows if r.model == model), None)
    if target is None or target.rank is None:
        return [target] if target else []
    return [r for r in rows if r.rank == target.rank]


def _dominates(a: Row, b: Row, metric: str) -> bool:
    qa, qb = a.q(metric), b.q(metric)
    la, lb = a.latency_p90, b.latency_p90
    return (la <= lb and qa >= qb) and (la < lb or qa > qb)


def pareto(rows: Sequence[Row], metric: str) -> list[Row]:
    """Mark the accuracy-vs-latency (p90, batch 1) Pareto front; a dominated row names the
    most accurate row that is at least as fast and at least as accurate."""
    usable = [r for r in rows if r.q(metric) is not None and r.latency_p90 is not None]
    out = []
    for row in rows:
        if not any(row is u for u in usable):
            out.append(replace(row, pareto=None, dominated_by=None))
            continue
        better = [o for o in usable if o is not row and _dominates(o, row, metric)]
        if better:
            best = max(better, key=lambda o: (o.q(metric), -o.latency_p90, o.model))
            out.append(replace(row, pareto=False, dominated_by=best.model))
        else:
            out.append(replace(row, pareto=True, dominated_by=None))
    return out


def front(rows: Sequence[Row]) -> list[Row]:
    """The Pareto-optimal rows ordered from fastest to slowest."""
    return sorted((r for r in rows if r.pareto), key=lambda r: (r.latency_p90, r.model))


def within_points(rows: Sequence[Row], metric: str, points: float) -> list[Row]:
    """Rows whose mean is within `points` of the best mean."""
    best = max((r.q(metric) for r in rows if r.q(metric) is not None), default=None)
    if best is None:
        return []
    return [r for r in rows if r.q(metric) is not None and r.q(metric) >= best - points - 1e-9]


def representative_run(row: Row) -> str | None:
    """The seed run closest to the row's mean (ties: first seed): what gets registered."""
    mean = next(iter(row.quality.values())).mean if row.quality else None
    if not row.run_scores or mean is None:
        return row.run_ids[0] if row.run_ids else None
    order = {run: i for i, run in enumerate(row.run_ids)}
    return min(row.run_scores, key=lambda run: (abs(row.run_scores[run] - mean),
                                                order.get(run, math.inf)))
