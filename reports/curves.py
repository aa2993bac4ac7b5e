"""Learning curves (quality vs training-set size, with seed spread and 95% CI) and the
crossovers that hold.

A crossover of two models is stated only where each is significantly ahead at its end of the
size range: the leaderboard's own comparison (`reports.leaderboard.Comparator`: a paired
bootstrap over test examples, seeds averaged in each resample) at the two bracketing sizes.
Sizes in between where neither leads significantly do not break the bracket. Its position is
interpolated linearly in log(size), the axis learning curves are roughly straight on, where
the mean difference changes sign. A sign flip of the means that fails the test is kept as an
*unconfirmed* crossover: the report says "no detectable crossover" and shows its gaps and CIs.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reports.ranking import Row
from reports.significance import Comparison

Compare = Callable[[Row, Row], Comparison]


@dataclass(frozen=True)
class CurvePoint:
    n_train: int
    mean: float
    sd: float | None
    seeds: int
    # The 95% CI of the seed mean at this size (bootstrap over test examples where the runs
    # logged per-example statistics; else the mean of the runs' logged CIs).
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class Crossover:
    """Below ~`at` examples `small_data_winner` is ahead; above it `large_data_winner` is.
    `below` is small_data_winner − large_data_winner at `between[0]`, `above` the reverse at
    `between[1]` (points, with the test's CI and p-value)."""

    small_data_winner: str
    large_data_winner: str
    at: int  # interpolated training-set size, rounded to 2 significant digits
    between: tuple[int, int]  # the measured sizes bracketing it
    below: Comparison
    above: Comparison

    @property
    def holds(self) -> bool:
        """Each model significantly ahead at its end (a positive, significant difference)."""
        return all(c.significant and (c.diff or 0) > 0 for c in (self.below, self.above))

    @property
    def gap_below(self) -> float:
        return self.below.diff or 0.0

    @property
    def gap_above(self) -> float:
        return self.above.diff or 0.0


def learning_curves(by_size: Mapping[int, Sequence[Row]], metric: str,
                    ) -> dict[str, list[CurvePoint]]:
    """model -> points sorted by size: the leaderboard rows' mean ± sd and 95% CI."""
    curves: dict[str, list[CurvePoint]] = {}
    for n in sorted(by_size):
        for row in by_size[n]:
            stat = row.quality.get(metric)
            if stat is None or stat.mean is None:
                continue
            curves.setdefault(row.model, []).append(
                CurvePoint(n, stat.mean, stat.sd, stat.n, stat.ci_low, stat.ci_high))
    return dict(sorted(curves.items()))


def round_significant(value: float, digits: int = 2) -> int:
    if value <= 0:
        return 0
    magnitude = 10 ** (math.floor(math.log10(value)) - digits + 1)
    return int(round(value / magnitude) * magnitude)


def _candidates(rows: Sequence[Row], metric: str) -> list[Row]:
    """Models a crossover may name: trained models run in eager PyTorch or classical ones;
    not the floor (it is the reference) and not runtime twins (their float model speaks for
    them: same training, near-equal quality)."""
    return [r for r in rows if r.runtime == "torch" and r.q(metric) is not None
            and not (r.usability and r.usability.floor)]


def _interpolate(n0: int, d0: float, n1: int, d1: float) -> int:
    t = d0 / (d0 - d1)
    return round_significant(math.exp(math.log(n0) + t * (math.log(n1) - math.log(n0))))


def _first_flip(diffs: Sequence[tuple[int, float]]) -> tuple[int, float, int, float] | None:
    nonzero = [(n, d) for n, d in diffs if d != 0]  # an exact tie is not a side
    for (n0, d0), (n1, d1) in itertools.pairwise(nonzero):
        if (d0 > 0) != (d1 > 0):
            return n0, d0, n1, d1
    return None


def _pair_crossover(x: str, y: str, at_x: Mapping[int, Row], at_y: Mapping[int, Row],
                    compare: Compare, metric: str) -> Crossover | None:
    """The crossover of x and y: between the first two sizes where they lead significantly
    in opposite directions when there are such (it holds), else around the first sign flip of
    the means (unconfirmed); None when the means keep their order."""
    common = sorted(set(at_x) & set(at_y))
    diffs = [(n, at_x[n].q(metric) - at_y[n].q(metric)) for n in common]
    flip = _first_flip(diffs)
    if flip is None:
        return None
    tests = {n: compare(at_x[n], at_y[n]) for n in common}  # x − y
    leads = [(n, tests[n].diff) for n in common if tests[n].significant and tests[n].diff]
    for (n0, d0), (n1, d1) in itertools.pairwise(leads):
        if (d0 > 0) != (d1 > 0):
            inner = _first_flip([(n, d) for n, d in diffs if n0 <= n <= n1]) or flip
            return _crossover(x, y, (n0, n1), _interpolate(*inner), at_x, at_y, compare)
    return _crossover(x, y, (flip[0], flip[2]), _interpolate(*flip), at_x, at_y, compare)


def _crossover(x: str, y: str, between: tuple[int, int], at: int, at_x: Mapping[int, Row],
               at_y: Mapping[int, Row], compare: Compare) -> Crossover:
    n0, n1 = between
    first = compare(at_x[n0], at_y[n0])
    x_small = (first.diff or 0) > 0
    small, large = (at_x, at_y) if x_small else (at_y, at_x)
    return Crossover(x if x_small else y, y if x_small else x, at, between,
                     compare(small[n0], large[n0]), compare(large[n1], small[n1]))


def crossovers(by_size: Mapping[int, Sequence[Row]], compare: Compare, metric: str,
               ) -> list[Crossover]:
    """Every pair of models whose mean order flips between measured sizes: held crossovers
    first (smallest position first), then the unconfirmed ones."""
    at: dict[str, dict[int, Row]] = {}
    for n, rows in by_size.items():
        for row in _candidates(rows, metric):
            at.setdefault(row.model, {})[n] = row
    out = []
    models = sorted(at)
    for i, x in enumerate(models):
        for y in models[i + 1:]:
            found = _pair_crossover(x, y, at[x], at[y], compare, metric)
            if found is not None:
                out.append(found)
    return sorted(out, key=lambda c: (not c.holds, c.at, c.small_data_winner))


def relevant_crossovers(found: Sequence[Crossover], leaders: Sequence[str],
                        limit: int = 6) -> list[Crossover]:
    """At most `limit` of `found`, those involving a leading model (best at some size)
    first, then by position."""
    key = set(leaders)
    ranked = sorted(found, key=lambda c: (
        not ({c.small_data_winner, c.large_data_winner} & key), c.at))
    return ranked[:limit]


def leaders(curves: dict[str, list[CurvePoint]]) -> list[str]:
    """Models with the best mean at one or more measured sizes, smallest size first."""
    best: dict[int, tuple[float, str]] = {}
    for model, points in curves.items():
        for p in points:
            if p.n_train not in best or p.mean > best[p.n_train][0]:
                best[p.n_train] = (p.mean, model)
    out: list[str] = []
    for n in sorted(best):
        if best[n][1] not in out:
            out.append(best[n][1])
    return out


def curve_at(points: Sequence[CurvePoint], n_train: int) -> CurvePoint | None:
    return next((p for p in points if p.n_train == n_train), None)
