"""Is model A better than model B on this test set? Paired bootstrap over test examples.

Each cell run may log its per-example sufficient statistics (the arrays zoo/evaluate.py
bootstraps its CIs from); the scorers and the resampling are zoo/metrics.py's, the same
engine and seed as the logged CIs. Two models are compared by resampling test examples with
replacement, the *same* resample for both models and all their seeds; in each resample a
model's score is the mean over its seeds. The two-sided p-value is twice the share of
resamples on the losing side (Koehn 2004; Berg-Kirkpatrick et al. 2012). The test captures
test-set sampling noise, not seed noise; the seed spread is shown beside it.

Without the statistics the report falls back to overlap of the logged 95% CIs (a more
conservative test) and says so.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reports.runs import SCALE
from zoo import metrics

ALPHA = 0.05
SAMPLES = metrics.SAMPLES
SEED = metrics.SEED
PREPARE = metrics.PREPARE  # metric -> stats (N, k) -> (features (N, m), scorer of their sums)
TEST_NAME = "paired bootstrap over test examples"
FALLBACK_NAME = "overlap of 95% bootstrap confidence intervals"


@dataclass(frozen=True)
class Comparison:
    """Outcome of comparing a reference model with another (differences ref - other)."""

    significant: bool | None  # None: could not be tested
    diff: float | None  # points
    p_value: float | None = None
    ci: tuple[float, float] | None = None  # 95% interval of the difference, points
    basis: str = "none"  # "paired bootstrap" | "CI overlap" | "none"


@dataclass(frozen=True)
class Resampled:
    """A model's seed-averaged score on the full test set and in every resample (points)."""

    n: int
    full: float
    boot: np.ndarray  # (samples,)


def resample(arrays: Sequence[np.ndarray], metric: str, *, samples: int = SAMPLES,
             seed: int = SEED) -> Resampled | None:
    """Bootstrap distribution of the seed-mean score; None without usable statistics."""
    lengths = {len(a) for a in arrays}
    if not arrays or len(lengths) != 1 or 0 in lengths or metric not in PREPARE:
        return None
    n = lengths.pop()
    # zoo.metrics draws the same resamples (one seed) for every array of this test set.
    runs = [metrics.bootstrap(metric, stats, samples=samples, seed=seed) for stats in arrays]
    full = [f for f, _ in runs]
    boot = [b for _, b in runs]  # each (R,)
    scale = SCALE.get(metric, 1.0)
    return Resampled(n, float(np.mean(full)) * scale, np.mean(boot, axis=0) * scale)


def compare_resampled(ref: Resampled | None, other: Resampled | None, *,
                      alpha: float = ALPHA) -> Comparison:
    if ref is None or other is None or ref.n != other.n or len(ref.boot) != len(other.boot):
        return Comparison(None, None)
    deltas = ref.boot - other.boot
    samples = len(deltas)
    below = (np.sum(deltas <= 0) + 1) / (samples + 1)
    above = (np.sum(deltas >= 0) + 1) / (samples + 1)
    p_value = float(min(1.0, 2 * min(below, above)))
    low, high = np.percentile(deltas, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return Comparison(p_value < alpha, ref.full - other.full, p_value,
                      (float(low), float(high)), "paired bootstrap")


def ci_overlap(ref_mean: float | None, ref_ci: tuple[float | None, float | None],
               other_mean: float | None, other_ci: tuple[float | None, float | None],
               ) -> Comparison:
    """Fallback: different only when the two 95% CIs do not overlap."""
    if ref_mean is None or other_mean is None:
        return Comparison(None, None)
    diff = ref_mean - other_mean
    if None in (*ref_ci, *other_ci):
        return Comparison(None, diff)
    separated = other_ci[1] < ref_ci[0] or ref_ci[1] < other_ci[0]
    return Comparison(bool(separated), diff, basis="CI overlap")


# How ties were decided, as stated on the page (keys from `reports.build.tie_basis_text`).
TIE_RULES = {
    "paired": (f"Models whose difference to the best is not significant under a {TEST_NAME} "
               f"({SAMPLES:,} resamples, two-sided, α = {ALPHA}; seeds averaged within each "
               "resample) share its rank; the best of the rest heads the next group."),
    "mixed": (f"Ties: {TEST_NAME} (α = {ALPHA}) where every run logged per-example "
              f"statistics, otherwise {FALLBACK_NAME} (no per-example predictions logged)."),
    "overlap": ("These runs did not log per-example predictions, so no paired test is "
                f"possible: ties fall back to {FALLBACK_NAME} with the best model (more "
                "conservative than a paired test: fewer differences are called significant)."),
    "none": "Only one model with a quality value: nothing to compare.",
}
