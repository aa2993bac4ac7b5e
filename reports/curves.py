"""Learning curves (quality vs training-set size, with seed spread) and their crossovers.

A crossover is read between two consecutive measured sizes where the sign of the mean
difference of two models flips; its position is interpolated linearly in log(size), the axis
learning curves are roughly straight on. A crossover whose differences on both sides are
smaller than the seed spread is flagged as within noise.
"""
from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from reports.ranking import mean_sd
from reports.runs import Cell


@dataclass(frozen=True)
class CurvePoint:
    n_train: int
    mean: float
    sd: float | None
    seeds: int


@dataclass(frozen=True)
class Crossover:
    """Below ~`at` examples `small_data_winner` is ahead; above it `large_data_winner` is."""

    small_data_winner: str
    large_data_winner: str
    at: int  # interpolated training-set size, rounded to 2 significant digits
    between: tuple[int, int]  # the measured sizes bracketing it
    gap_below: float  # small_data_winner - large_data_winner at the lower size, points
    gap_above: float  # large_data_winner - small_data_winner at the upper size, points
    within_noise: bool | None  # None: a single seed, so the spread is unknown


def learning_curves(cells: Sequence[Cell], metric: str) -> dict[str, list[CurvePoint]]:
    """model -> points sorted by size (mean ± sd of `metric` over seeds, display points)."""
    groups: dict[tuple[str, int], list[float | None]] = defaultdict(list)
    for cell in cells:
        if cell.n_train is not None:
            groups[(cell.model, cell.n_train)].append(cell.quality(metric))
    curves: dict[str, list[CurvePoint]] = defaultdict(list)
    for (model, n), values in sorted(groups.items()):
        mean, sd, k = mean_sd(values)
        if mean is not None:
            curves[model].append(CurvePoint(n, mean, sd, k))
    return {m: sorted(points, key=lambda p: p.n_train) for m, points in sorted(curves.items())}


def round_significant(value: float, digits: int = 2) -> int:
    if value <= 0:
        return 0
    magnitude = 10 ** (math.floor(math.log10(value)) - digits + 1)
    return int(round(value / magnitude) * magnitude)


def _noise(a: CurvePoint, b: CurvePoint) -> float:
    return math.hypot(a.sd or 0.0, b.sd or 0.0)


def crossovers(curves: dict[str, list[CurvePoint]]) -> list[Crossover]:
    """Every sign flip of the mean difference between two models at consecutive common sizes."""
    out = []
    models = sorted(curves)
    for i, x in enumerate(models):
        for y in models[i + 1:]:
            at_x = {p.n_train: p for p in curves[x]}
            at_y = {p.n_train: p for p in curves[y]}
            common = sorted(set(at_x) & set(at_y))
            diffs = [(n, at_x[n].mean - at_y[n].mean) for n in common]
            diffs = [(n, d) for n, d in diffs if d != 0]  # an exact tie is not a side
            for (n0, d0), (n1, d1) in itertools.pairwise(diffs):
                if (d0 > 0) == (d1 > 0):
                    continue
                t = d0 / (d0 - d1)
                at = math.exp(math.log(n0) + t * (math.log(n1) - math.log(n0)))
                small, large = (x, y) if d0 > 0 else (y, x)
                points = (at_x[n0], at_y[n0], at_x[n1], at_y[n1])
                noisy = None if any(p.sd is None for p in points) else bool(
                    abs(d0) <= _noise(at_x[n0], at_y[n0])
                    and abs(d1) <= _noise(at_x[n1], at_y[n1]))
                out.append(Crossover(small, large, round_significant(at), (n0, n1), abs(d0),
                                     abs(d1), noisy))
    return sorted(out, key=lambda c: (c.within_noise is True, c.at, c.small_data_winner))


def relevant_crossovers(found: Sequence[Crossover], leaders: Sequence[str],
                        limit: int = 6) -> list[Crossover]:
    """Crossovers beyond the seed spread, those involving a leading model (best at some
    size) first, at most `limit`; within-noise ones only when nothing else was found."""
    key = set(leaders)
    clear = [c for c in found if c.within_noise is not True] or list(found)
    ranked = sorted(clear, key=lambda c: (
        not ({c.small_data_winner, c.large_data_winner} & key), c.within_noise is True, c.at))
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
