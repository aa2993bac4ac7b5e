"""Is model A better than model B on this test set? Paired bootstrap over test examples.

Each cell run may log its per-example sufficient statistics (the arrays zoo/evaluate.py
bootstraps its CIs from). Two models are compared by resampling test examples with
replacement, the *same* resample for both models and all their seeds; in each resample a
model's score is the mean over its seeds. The two-sided p-value is twice the share of
resamples on the losing side (Koehn 2004; Berg-Kirkpatrick et al. 2012). The test captures
test-set sampling noise, not seed noise; the seed spread is shown beside it.

Without the statistics the report falls back to overlap of the logged 95% CIs (a more
conservative test) and says so.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from reports.runs import SCALE

ALPHA = 0.05
SAMPLES = 1000
SEED = 20240611
TEST_NAME = "paired bootstrap over test examples"
FALLBACK_NAME = "overlap of 95% bootstrap confidence intervals"


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


# Each scorer takes summed features of shape (m,) or (R, m) and returns a float or (R,).
Scorer = Callable[[np.ndarray], "float | np.ndarray"]


def _accuracy(stats: np.ndarray) -> tuple[np.ndarray, Scorer]:
    correct = (stats[:, 0] == stats[:, 1]).astype(np.int64)
    return np.stack([correct, np.ones_like(correct)], axis=1), \
        lambda s: _ratio(s[..., 0], s[..., 1])


def _macro_f1(stats: np.ndarray) -> tuple[np.ndarray, Scorer]:
    """Per-label (tp, predicted, gold) columns; macro-F1 over labels seen in gold or pred."""
    labels = np.unique(stats[:, :2])
    gold, pred = stats[:, 0:1], stats[:, 1:2]  # (N, 1)
    is_gold, is_pred = gold == labels, pred == labels  # (N, L)
    feats = np.concatenate([is_gold & is_pred, is_pred, is_gold], axis=1).astype(np.int64)
    n = len(labels)

    def score(s: np.ndarray):
        tp, n_pred, n_gold = s[..., :n], s[..., n:2 * n], s[..., 2 * n:]
        return _ratio(2 * tp, n_pred + n_gold).mean(axis=-1) if n else np.zeros(s.shape[:-1])

    return feats, score


def _span_f1(stats: np.ndarray) -> tuple[np.ndarray, Scorer]:
    return stats.astype(np.int64), lambda s: _ratio(2 * s[..., 0], s[..., 1] + s[..., 2])


def _sacrebleu(name: str):
    def prepare(stats: np.ndarray) -> tuple[np.ndarray, Scorer]:
        from sacrebleu.metrics import BLEU, CHRF

        metric = BLEU() if name == "bleu" else CHRF()

        def one(row: np.ndarray) -> float:
            return float(metric._compute_score_from_stats([int(v) for v in np.rint(row)]).score)

        def score(s: np.ndarray):
            return one(s) if s.ndim == 1 else np.array([one(row) for row in s])

        return stats.astype(np.int64), score

    return prepare


# metric -> stats (N, k) -> (features (N, m) summed over examples, score(summed features)).
# Scores come out on the logged scale (fractions; BLEU / chrF 0-100) and are scaled to points.
PREPARE = {"accuracy": _accuracy, "macro_f1": _macro_f1, "f1": _span_f1,
           "bleu": _sacrebleu("bleu"), "chrf": _sacrebleu("chrf")}


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


@lru_cache(maxsize=4)
def _weights(n: int, samples: int, seed: int) -> np.ndarray:
    """(samples, n) resample counts: how often each example is drawn in each resample. The
    same for every model of a test set, which is what makes the comparison paired."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(samples, n)) + n * np.arange(samples)[:, None]
    # float64 so the product with the features runs in BLAS; sums of counts stay exact.
    out = np.bincount(idx.ravel(), minlength=samples * n).reshape(samples, n).astype(float)
    out.setflags(write=False)
    return out


def resample(arrays: Sequence[np.ndarray], metric: str, *, samples: int = SAMPLES,
             seed: int = SEED) -> Resampled | None:
    """Bootstrap distribution of the seed-mean score; None without usable statistics."""
    lengths = {len(a) for a in arrays}
    if not arrays or len(lengths) != 1 or 0 in lengths or metric not in PREPARE:
        return None
    n = lengths.pop()
    weights = _weights(n, samples, seed)
    full, boot = [], []
    for stats in arrays:
        feats, score = PREPARE[metric](np.asarray(stats))
        full.append(float(score(feats.sum(axis=0))))
        boot.append(np.asarray(score(weights @ feats.astype(float)), dtype=float))  # (R,)
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


def paired_bootstrap(ref: Sequence[np.ndarray], other: Sequence[np.ndarray], metric: str, *,
                     samples: int = SAMPLES, seed: int = SEED, alpha: float = ALPHA,
                     ) -> Comparison:
    """Compare two models from their per-seed stats arrays (all over the same test examples)."""
    return compare_resampled(resample(ref, metric, samples=samples, seed=seed),
                             resample(other, metric, samples=samples, seed=seed), alpha=alpha)


def bootstrap_ci(arrays: Sequence[np.ndarray], metric: str, *, samples: int = SAMPLES,
                 seed: int = SEED) -> tuple[float, float] | None:
    """95% CI (points) of the seed-averaged score, resampling test examples."""
    found = resample(arrays, metric, samples=samples, seed=seed)
    if found is None:
        return None
    low, high = np.percentile(found.boot, [2.5, 97.5])
    return float(low), float(high)


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
