"""The metric table: per-example sufficient statistics, vectorized scorers, one bootstrap.

Every quality metric of the zoo is a function of column sums of per-example statistics, so a
bootstrap resample is a weighted sum, and 1,000 resamples are one (R, N) @ (N, m) product.
zoo/evaluate.py (the logged 95% CIs) and reports/significance.py (the report's paired test
and seed-mean CIs) both resample through `weights` with the one `SEED`, so for the same test
set they draw the same resamples: a single-seed CI in the report equals the logged one.

Statistics (`stats`, what tracking.log_example_stats logs, (N, k) integers in data order):
  accuracy, macro_f1  [gold label id, predicted label id]
  f1 (span F1)        [true-positive spans, predicted spans, gold spans]
  bleu, chrf          sacreBLEU's segment statistics (see the adapter at the end)
`PREPARE[metric](stats)` turns them into features (N, m) whose sums are sufficient, and a
scorer taking summed features (m,) or (R, m) to a float or (R,), on the logged scale
(fractions; BLEU / chrF 0-100).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sacrebleu.metrics import BLEU, CHRF

SAMPLES = 1000
# One seed for every bootstrap of the project (it was the report's; evaluate.py had 12345).
SEED = 20240611
CI_PERCENTILES = (2.5, 97.5)

Scorer = Callable[[np.ndarray], "float | np.ndarray"]
Prepared = tuple[np.ndarray, Scorer]


def ratio(num, den) -> np.ndarray:
    """num / den elementwise, 0 where den is 0 (an empty class or corpus scores 0)."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


# ---- Per-example sufficient statistics (what evaluate.py logs and the report reads back).

def label_stats(gold: Sequence[str], pred: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """(N, 2) [gold, predicted] ids into the sorted labels seen in either, and those labels."""
    labels = sorted(set(gold) | set(pred))
    index = {label: i for i, label in enumerate(labels)}
    y = np.array([index[x] for x in gold], dtype=np.int64)  # (N,)
    p = np.array([index[x] for x in pred], dtype=np.int64)  # (N,)
    return np.stack([y, p], axis=1).reshape(-1, 2), labels  # (N, 2)


def span_stats(gold_spans: Sequence[set], pred_spans: Sequence[set]) -> np.ndarray:
    """(N, 3) [true positives, predicted, gold] from each example's sets of spans."""
    rows = [(len(g & p), len(p), len(g)) for g, p in zip(gold_spans, pred_spans)]
    return np.array(rows, dtype=np.int64).reshape(-1, 3)  # (N, 3)


# ---- Scorers: stats (N, k) -> (features (N, m), score(summed features)).

def _accuracy(stats: np.ndarray) -> Prepared:
    correct = (stats[:, 0] == stats[:, 1]).astype(np.int64)  # (N,)
    feats = np.stack([correct, np.ones_like(correct)], axis=1)  # (N, 2) correct, count
    return feats, lambda s: ratio(s[..., 0], s[..., 1])


def macro_f1_prepare(stats: np.ndarray, labels: np.ndarray | None = None) -> Prepared:
    """Per-label (tp, predicted, gold) columns; macro-F1 over `labels` (default: the ids seen
    in gold or prediction). A label absent from a resample scores 0, as scikit-learn's
    `f1_score(average="macro", labels=..., zero_division=0)` does."""
    labels = np.unique(stats[:, :2]) if labels is None else np.asarray(labels)  # (L,)
    gold, pred = stats[:, 0:1], stats[:, 1:2]  # (N, 1)
    is_gold, is_pred = gold == labels, pred == labels  # (N, L)
    feats = np.concatenate([is_gold & is_pred, is_pred, is_gold], axis=1).astype(np.int64)
    n = len(labels)  # feats: (N, 3L)

    def score(s: np.ndarray):
        tp, n_pred, n_gold = s[..., :n], s[..., n:2 * n], s[..., 2 * n:]  # (..., L)
        return ratio(2 * tp, n_pred + n_gold).mean(axis=-1) if n else np.zeros(s.shape[:-1])

    return feats, score


def _span_f1(stats: np.ndarray) -> Prepared:
    return stats.astype(np.int64), lambda s: ratio(2 * s[..., 0], s[..., 1] + s[..., 2])


def _rows(score_row: Callable[[list[int]], float]) -> Scorer:
    """A scorer of summed sacreBLEU statistics, (k,) -> float or (R, k) -> (R,): sacreBLEU's
    own scalar formula per row, so scores are its numbers exactly (1,000 rows take ms)."""
    def score(s: np.ndarray):
        ints = np.rint(s).astype(np.int64)  # sums of counts are exact in float64
        if ints.ndim == 1:
            return score_row([int(v) for v in ints])
        return np.array([score_row([int(v) for v in row]) for row in ints])  # (R,)

    return score


def _bleu(stats: np.ndarray) -> Prepared:
    return stats.astype(np.int64), _rows(bleu_from_stats)


def _chrf(stats: np.ndarray) -> Prepared:
    return stats.astype(np.int64), _rows(chrf_from_stats)


# metric name (as logged) -> stats (N, k) -> (features (N, m), score(summed features)).
PREPARE: dict[str, Callable[[np.ndarray], Prepared]] = {
    "accuracy": _accuracy, "macro_f1": macro_f1_prepare, "f1": _span_f1,
    "bleu": _bleu, "chrf": _chrf}


def score(metric: str, stats: np.ndarray) -> float:
    """The metric on the whole set (no resampling)."""
    feats, scorer = PREPARE[metric](np.asarray(stats))
    return float(scorer(feats.sum(axis=0)))


# ---- The bootstrap engine.

@lru_cache(maxsize=4)
def weights(n: int, samples: int = SAMPLES, seed: int = SEED) -> np.ndarray:
    """(samples, n) resample counts: how often each example is drawn in each resample. The
    same for every model of a test set, which is what makes the report's comparison paired."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(samples, n)) + n * np.arange(samples)[:, None]  # (R, N)
    # float64 so the product with the features runs in BLAS; sums of counts stay exact.
    out = np.bincount(idx.ravel(), minlength=samples * n).reshape(samples, n).astype(float)
    out.setflags(write=False)
    return out  # (R, N)


def bootstrap(metric: str, stats: np.ndarray, *, samples: int = SAMPLES, seed: int = SEED,
              ) -> tuple[float, np.ndarray]:
    """(score on the whole set, (samples,) scores of the resamples); NaN resamples when the
    set is empty."""
    feats, scorer = PREPARE[metric](np.asarray(stats))  # feats: (N, m)
    full = float(scorer(feats.sum(axis=0)))
    if len(feats) == 0:
        return full, np.full(samples, np.nan)
    boot = np.asarray(scorer(weights(len(stats), samples, seed) @ feats.astype(float)),
                      dtype=float)  # (R,)
    return full, boot


def percentile_ci(boot: np.ndarray) -> tuple[float, float]:
    """Percentile 95% interval of bootstrap scores."""
    low, high = np.percentile(boot, CI_PERCENTILES)
    return float(low), float(high)


# ---- sacreBLEU adapter: the only place that touches sacreBLEU's internals.
# sacreBLEU 2.x has no public API for per-segment statistics, and chrF none for a score from
# summed statistics (BLEU has: the static BLEU.compute_bleu). The two private calls below are
# the whole surface, so pyproject.toml pins sacrebleu exactly and tests/test_metrics.py checks
# both against corpus_score; re-run that test before moving the pin.

def sacrebleu_metric(name: str) -> BLEU | CHRF:
    """The configured metric: sacreBLEU's defaults. force=True because the text is tokenized
    on purpose; without it sacreBLEU warns on every call (scores are unaffected). Imported
    here, not at the top: the report and `zoo models` load this module without scoring text."""
    from sacrebleu.metrics import BLEU, CHRF

    return BLEU(force=True) if name == "bleu" else CHRF()


_configured = lru_cache(maxsize=2)(sacrebleu_metric)  # the scorers' instance, built once


def segment_stats(name: str, hyps: Sequence[str], refs: Sequence[str],
                  ) -> tuple[np.ndarray, str]:
    """(N, k) sacreBLEU segment statistics of `name` ("bleu" or "chrf"), one reference each
    (BLEU [hyp len, ref len, matches 1-4, totals 1-4]; chrF [hyp, ref, match] per order),
    and the metric's signature (it names the reference count only once it has scored)."""
    metric = sacrebleu_metric(name)  # a fresh one: extraction records the reference count
    k = 2 + 2 * metric.max_ngram_order if name == "bleu" else 3 * metric.order
    stats = np.array(metric._extract_corpus_statistics(list(hyps), [list(refs)]),
                     dtype=np.int64).reshape(-1, k)  # (N, k)
    return stats, str(metric.get_signature())


def bleu_from_stats(s: list[int]) -> float:
    """Corpus BLEU from summed statistics, through sacreBLEU's public BLEU.compute_bleu."""
    bleu = _configured("bleu")
    m = bleu.max_ngram_order
    return float(bleu.compute_bleu(
        correct=s[2:2 + m], total=s[2 + m:], sys_len=s[0], ref_len=s[1],
        smooth_method=bleu.smooth_method, smooth_value=bleu.smooth_value,
        effective_order=bleu.effective_order, max_ngram_order=m).score)


def chrf_from_stats(s: list[int]) -> float:
    """Corpus chrF from summed statistics (private: CHRF._compute_score_from_stats)."""
    return float(_configured("chrf")._compute_score_from_stats(s).score)
