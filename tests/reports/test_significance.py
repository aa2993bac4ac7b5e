"""The paired bootstrap and its metric scorers (checked against the reference libraries)."""
from __future__ import annotations

import numpy as np
import pytest
from sacrebleu.metrics import BLEU, CHRF
from sklearn.metrics import f1_score

from reports.significance import PREPARE, ci_overlap, compare_resampled, resample
from tests.reports.factory import sentiment_stats
from zoo.metrics import percentile_ci, segment_stats


def paired_bootstrap(ref, other, metric: str):
    """Two models compared as the leaderboard compares them (reports.leaderboard)."""
    return compare_resampled(resample(ref, metric), resample(other, metric))


def score(metric: str, stats) -> float:
    feats, fn = PREPARE[metric](np.asarray(stats))
    return fn(feats.sum(axis=0))


def test_scorers_match_the_reference_metrics():
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 3, 200), rng.integers(0, 3, 200)
    stats = np.stack([y, p], axis=1)
    assert score("accuracy", stats) == pytest.approx((y == p).mean())
    assert score("macro_f1", stats) == pytest.approx(f1_score(y, p, average="macro"))
    spans = np.array([[1, 2, 1], [0, 1, 2], [3, 3, 3]])
    assert score("f1", spans) == pytest.approx(2 * 4 / (6 + 6))
    hyps = ["the cat sat on the mat", "a dog runs fast", "hello world"]
    refs = ["the cat sat on a mat", "a dog runs", "hello there world"]
    for name, metric in (("bleu", BLEU()), ("chrf", CHRF())):
        rows, _ = segment_stats(name, hyps, refs)  # (N, k), zoo.metrics' sacreBLEU adapter
        assert score(name, rows) == pytest.approx(metric.corpus_score(hyps, [refs]).score)


def test_identical_models_are_not_different():
    a = [np.array(sentiment_stats(0.8, seed=1))]
    result = paired_bootstrap(a, a, "accuracy")
    assert result.significant is False and result.diff == 0 and result.p_value == 1.0


def test_a_clear_gap_is_significant_and_its_interval_excludes_zero():
    good, bad = sentiment_stats(0.9, seed=1), sentiment_stats(0.6, seed=2)
    result = paired_bootstrap([np.array(good)], [np.array(bad)], "accuracy")
    assert result.significant and result.basis == "paired bootstrap"
    assert result.diff > 20 and result.ci[0] > 0 and result.p_value < 0.01


def test_a_small_gap_on_few_examples_is_a_tie_and_seeds_are_averaged():
    a = [np.array(sentiment_stats(0.80, n=100, seed=s)) for s in (1, 2, 3)]
    b = [np.array(sentiment_stats(0.79, n=100, seed=s)) for s in (4, 5, 6)]
    result = paired_bootstrap(a, b, "accuracy")
    means = [np.mean([score("accuracy", x) for x in arrays]) for arrays in (a, b)]
    assert result.diff == pytest.approx(100 * (means[0] - means[1]))
    assert result.significant is False


def test_different_test_sets_cannot_be_compared():
    result = paired_bootstrap([np.array(sentiment_stats(0.8, n=100))],
                              [np.array(sentiment_stats(0.8, n=120))], "accuracy")
    assert result.significant is None


def test_bootstrap_ci_of_the_seed_mean_brackets_it():
    arrays = [np.array(sentiment_stats(0.8, seed=s)) for s in (1, 2)]
    low, high = percentile_ci(resample(arrays, "accuracy").boot)
    mean = 100 * np.mean([score("accuracy", a) for a in arrays])
    assert low < mean < high and high - low < 12


def test_ci_overlap_fallback():
    assert ci_overlap(80, (78, 82), 79, (77, 81)).significant is False
    separated = ci_overlap(90, (88, 92), 80, (78, 82))
    assert separated.significant and separated.basis == "CI overlap" and separated.diff == 10
    assert ci_overlap(80, (None, None), 70, (68, 72)).significant is None
    assert ci_overlap(None, (1, 2), 70, (68, 72)).diff is None
