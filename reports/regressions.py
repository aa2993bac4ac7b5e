"""Regression watch: each cell's newest finished run against the previous finished run of
the same cell (dataset, model, requested size, seed, environment). Pure functions.

Flags: the primary metric falls below the previous run's 95% bootstrap CI, or the median
(p50) batch-1 latency grows by more than 10%. p50 is used because the tail (p90) of a
shared machine is noisier; both are shown.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reports.runs import Cell, by_identity, primary_metric
from zoo.tracking import schema

LATENCY_TOLERANCE = 0.10
CONTEXT_TAGS = ((schema.GIT_SHA, "code"), (schema.CONFIG_HASH, "training config"),
                (schema.DATA_FINGERPRINT, "data"), (schema.PROFILE, "profile"))


@dataclass(frozen=True)
class Change:
    cell: Cell  # the newest run
    previous: Cell
    metric: str
    quality: tuple[float | None, float | None]  # (previous, new), points
    previous_ci: tuple[float | None, float | None]
    p50: tuple[float | None, float | None]
    p90: tuple[float | None, float | None]
    flags: tuple[str, ...]  # "quality drop", "latency +23 %"
    improvements: tuple[str, ...]
    context: tuple[str, ...]  # what differs between the runs: code, config, data...
    comparable: bool  # False when the profile changed (different training budget)


def _context(old: Cell, new: Cell) -> tuple[str, ...]:
    out = []
    for tag, label in CONTEXT_TAGS:
        a, b = old.tags.get(tag, "?"), new.tags.get(tag, "?")
        if a != b:
            out.append(f"{label} {a[:12]} → {b[:12]}")
    return tuple(out)


def compare_runs(old: Cell, new: Cell) -> Change:
    metric = primary_metric(new.task)
    q_old, q_new = old.quality(metric), new.quality(metric)
    ci = (old.quality(metric, schema.CI_LOW), old.quality(metric, schema.CI_HIGH))
    p50 = (old.metric(schema.LATENCY_P50), new.metric(schema.LATENCY_P50))
    p90 = (old.metric(schema.LATENCY_P90), new.metric(schema.LATENCY_P90))
    flags, better = [], []
    if q_new is not None and ci[0] is not None and q_new < ci[0]:
        flags.append("quality drop")
    if q_new is not None and ci[1] is not None and q_new > ci[1]:
        better.append("quality gain")
    if None not in p50 and p50[0] > 0:
        change = (p50[1] - p50[0]) / p50[0]
        if change > LATENCY_TOLERANCE:
            flags.append(f"latency +{100 * change:.0f} %")
        elif change < -LATENCY_TOLERANCE:
            better.append(f"latency −{-100 * change:.0f} %")
    comparable = old.profile == new.profile
    return Change(new, old, metric, (q_old, q_new), ci, p50, p90,
                  tuple(flags) if comparable else (), tuple(better) if comparable else (),
                  _context(old, new), comparable)


def changes(cells: Iterable[Cell]) -> list[Change]:
    """One comparison per cell identity that has two or more finished runs; flagged first."""
    out = []
    for group in by_identity(cells).values():
        done = [c for c in group if c.status == "FINISHED"]
        if len(done) >= 2:
            out.append(compare_runs(done[-2], done[-1]))
    return sorted(out, key=lambda c: (not c.flags, not c.comparable, c.cell.identity))
