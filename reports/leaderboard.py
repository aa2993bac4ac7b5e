"""Rank one section's rows: compare two rows (paired bootstrap over per-example stats, else
overlap of the logged CIs), assess each row's usability against its floor, rank the usable
rows in tie groups and mark their Pareto front. `reports.build` assembles sections from it.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import numpy as np

from reports import ranking, significance, usable
from reports.runs import Cell
from reports.significance import Comparison
from zoo.tracking import schema


class Comparator:
    """Paired bootstrap when every run of both rows logged per-example stats over the same
    test data; otherwise overlap of the logged CIs. Each row's bootstrap distribution is
    computed once (all rows share the resamples), so n models cost n bootstraps, not n²."""

    def __init__(self, metric: str, cells: Mapping[str, Cell], stats: Mapping[str, Mapping]):
        self.metric, self.cells, self.stats = metric, cells, stats
        self.bases: set[str] = set()
        self._resampled: dict[tuple[str, ...], significance.Resampled | None] = {}

    def arrays(self, row: ranking.Row) -> list[np.ndarray] | None:
        out = []
        for run in row.run_ids:
            payload = self.stats.get(run) or {}
            values = (payload.get("stats") or {}).get(self.metric)
            if values is None or len(values) == 0:
                return None
            out.append(np.asarray(values))
        return out

    def resampled(self, row: ranking.Row) -> significance.Resampled | None:
        if row.run_ids not in self._resampled:
            arrays = self.arrays(row)
            self._resampled[row.run_ids] = (significance.resample(arrays, self.metric)
                                            if arrays else None)
        return self._resampled[row.run_ids]

    def _fingerprints(self, row: ranking.Row) -> set[str]:
        return {self.cells[r].tags.get(schema.DATA_FINGERPRINT, "?") for r in row.run_ids
                if r in self.cells}

    def __call__(self, ref: ranking.Row, other: ranking.Row) -> Comparison:
        result = self._compare(ref, other)
        if result.basis != "none":
            self.bases.add(result.basis)
        return result

    def _compare(self, ref: ranking.Row, other: ranking.Row) -> Comparison:
        if len(self._fingerprints(ref) | self._fingerprints(other)) == 1:
            result = significance.compare_resampled(self.resampled(ref), self.resampled(other))
            if result.significant is not None:
                return result
        sa, sb = ref.quality.get(self.metric), other.quality.get(self.metric)
        return significance.ci_overlap(sa.mean if sa else None, sa.ci if sa else (None, None),
                                       sb.mean if sb else None, sb.ci if sb else (None, None))

    def with_bootstrap_ci(self, row: ranking.Row) -> ranking.Row:
        """Replace the averaged per-seed CI with the CI of the seed mean, when stats exist."""
        found = self.resampled(row) if len(row.run_ids) > 1 else None
        if found is None:
            return row
        low, high = np.percentile(found.boot, [2.5, 97.5])
        stat = replace(row.quality[self.metric], ci_low=float(low), ci_high=float(high))
        return replace(row, quality={**row.quality, self.metric: stat})


def tie_basis_text(bases: set[str]) -> str:
    if bases == {"paired bootstrap"}:
        return "paired"
    if "CI overlap" in bases and "paired bootstrap" in bases:
        return "mixed"
    if bases == {"CI overlap"}:
        return "overlap"
    return "none"


def assess_rows(rows: Sequence[ranking.Row], cells: Mapping[str, Cell],
                compare: Callable[[ranking.Row, ranking.Row], Comparison],
                ) -> list[ranking.Row]:
    """Attach each row's `Usability`: its seeds' stop reasons, and the leaderboard's own
    comparison against the floor row of the same size (when one was measured)."""
    floor = next((r for r in rows if usable.is_floor(r.model, r.family)), None)
    out = []
    for row in rows:
        stops = [usable.run_stop(c.model, c.family, c.tags, c.metrics)
                 for c in (cells[run] for run in row.run_ids if run in cells)]
        is_floor = usable.is_floor(row.model, row.family)
        versus = compare(row, floor) if floor is not None and not is_floor else None
        out.append(replace(row, usability=usable.assess(stops, floor=is_floor,
                                                        versus_floor=versus)))
    return out


def rank_rows(rows: Sequence[ranking.Row], comparator: Comparator) -> list[ranking.Row]:
    """Usable rows get ranks (tie groups); the others follow, unranked, with their reason."""
    rows = [comparator.with_bootstrap_ci(r) for r in rows]
    rows = assess_rows(rows, comparator.cells, comparator)
    good = [r for r in rows if usable.is_usable(r)]
    rest = [replace(r, rank=None, tie_ref=None, tie=None)
            for r in ranking.sort_rows([r for r in rows if not usable.is_usable(r)],
                                       comparator.metric)]
    return ranking.rank_tie_groups(good, comparator.metric, comparator) + rest


def usable_pareto(rows: Sequence[ranking.Row], metric: str) -> list[ranking.Row]:
    """The Pareto front among usable rows; unusable rows are neither on it nor dominated."""
    marked = {r.model: r for r in ranking.pareto([r for r in rows if usable.is_usable(r)],
                                                  metric)}
    return [marked.get(r.model) or replace(r, pareto=None, dominated_by=None) for r in rows]


def floor_row(rows: Sequence[ranking.Row]) -> ranking.Row | None:
    return next((r for r in rows if r.usability and r.usability.floor), None)
