"""zoo/metrics.py: the sacreBLEU adapter, the vectorized scorers and the one bootstrap engine."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import sacrebleu
from sacrebleu.metrics import BLEU, CHRF

from reports import significance
from zoo import metrics

HYPS = ["the cat sat on the mat", "a dog runs fast", "hello world", "", "x y z"]
REFS = ["the cat sat on a mat", "a dog runs", "hello there world", "nothing here", "a b c"]


def test_sacrebleu_is_the_pinned_version():
    """The adapter reaches two private sacreBLEU calls: a new version must be re-verified by
    the tests below before the pin in pyproject.toml moves."""
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    pin = re.search(r'"sacrebleu==([^"]+)"', text)
    assert pin and sacrebleu.__version__ == pin.group(1)


@pytest.mark.parametrize("name,metric", [("bleu", BLEU()), ("chrf", CHRF())])
@pytest.mark.parametrize("size", [1, 3, 5])
def test_adapter_scores_from_stats_equal_corpus_score(name, metric, size):
    hyps, refs = HYPS[:size], REFS[:size]
    stats, signature = metrics.segment_stats(name, hyps, refs)  # (N, k)
    assert stats.shape[0] == size and "nrefs:1" in signature
    assert metrics.score(name, stats) == metric.corpus_score(hyps, [refs]).score
    summed = [int(v) for v in stats.sum(axis=0)]
    from_stats = metrics.bleu_from_stats if name == "bleu" else metrics.chrf_from_stats
    assert from_stats(summed) == metric.corpus_score(hyps, [refs]).score


def _random_stats(metric: str, rng: np.random.Generator, n: int) -> np.ndarray:
    if metric in ("accuracy", "macro_f1"):
        return rng.integers(0, 4, (n, 2))
    if metric == "f1":
        gold, pred = rng.integers(0, 4, n), rng.integers(0, 4, n)
        return np.stack([np.minimum(gold, pred) // 2, pred, gold], axis=1)
    hyps = [" ".join(rng.choice(list("abcdef"), rng.integers(1, 9))) for _ in range(n)]
    refs = [" ".join(rng.choice(list("abcdef"), rng.integers(1, 9))) for _ in range(n)]
    return metrics.segment_stats(metric, hyps, refs)[0]


@pytest.mark.parametrize("metric", sorted(metrics.PREPARE))
def test_vectorized_scorer_equals_the_scalar_one_row_by_row(metric):
    feats, scorer = metrics.PREPARE[metric](_random_stats(metric, np.random.default_rng(1), 40))
    sums = metrics.weights(40, 30, 7) @ feats.astype(float)  # (30, m)
    many = scorer(sums)  # (30,)
    assert many.shape == (30,)
    assert list(many) == [float(scorer(row)) for row in sums]


@pytest.mark.parametrize("metric", sorted(metrics.PREPARE))
def test_weights_resample_equals_resampling_by_index(metric):
    """The (R, N) count matrix is the same bootstrap as drawing example indices."""
    n, samples, seed = 25, 50, 3
    stats = _random_stats(metric, np.random.default_rng(2), n)
    _, boot = metrics.bootstrap(metric, stats, samples=samples, seed=seed)
    idx = np.random.default_rng(seed).integers(0, n, size=(samples, n))  # (R, N)
    # Features of the whole set: macro-F1 keeps labels absent from a resample (scored 0).
    feats, scorer = metrics.PREPARE[metric](stats)
    by_index = [float(scorer(feats[row].sum(axis=0))) for row in idx]
    assert list(boot) == by_index  # sums of counts are exact either way


def test_weights_are_seeded_counts_and_read_only():
    w = metrics.weights(10, 20, 5)  # (20, 10)
    assert w.shape == (20, 10) and (w.sum(axis=1) == 10).all()
    assert np.array_equal(w, metrics.weights.__wrapped__(10, 20, 5))
    assert not np.array_equal(w, metrics.weights.__wrapped__(10, 20, 6))
    with pytest.raises(ValueError):
        w[0, 0] = 1


def test_evaluation_and_the_report_share_one_engine():
    """A single-seed CI in the report equals the logged one (same resamples, same seed)."""
    from zoo.data.types import Example
    from zoo.evaluate import evaluate

    rng = np.random.default_rng(4)
    gold = [Example(("x",), label=str(v)) for v in rng.integers(0, 3, 300)]
    pred = [ex.label if rng.random() < 0.7 else "1" for ex in gold]
    m = evaluate("sentiment", gold, pred)
    for name in ("accuracy", "macro_f1"):
        low, high = metrics.percentile_ci(significance.resample([m.stats[name]], name).boot)
        assert low == pytest.approx(100 * m.values[f"{name}_ci_low"], abs=1e-9)
        assert high == pytest.approx(100 * m.values[f"{name}_ci_high"], abs=1e-9)
    assert significance.SEED == metrics.SEED and significance.PREPARE is metrics.PREPARE


def test_empty_sets_score_without_resamples():
    full, boot = metrics.bootstrap("f1", np.zeros((0, 3), dtype=np.int64), samples=5)
    assert full == 0.0 and np.isnan(boot).all() and boot.shape == (5,)
