"""Metrics agree with the reference libraries; bootstrap intervals are sane and seeded."""
from __future__ import annotations

import numpy as np
import pytest
import sacrebleu
from seqeval.metrics import f1_score as seqeval_f1
from seqeval.scheme import IOB2
from sklearn.metrics import f1_score

from zoo.data.types import Example
from zoo.evaluate import evaluate, macro_f1


def test_sentiment_matches_sklearn_and_ci_brackets_point():
    gold = [Example(("x",), label=lab) for lab in ["pos", "neg", "pos", "pos", "neg"] * 20]
    pred = ["pos", "neg", "neg", "pos", "pos"] * 20
    m = evaluate("sentiment", gold, pred).values
    assert m["accuracy"] == 0.6
    assert abs(m["macro_f1"] - f1_score([g.label for g in gold], pred, average="macro")) < 1e-9
    assert m["accuracy_ci_low"] < m["accuracy"] < m["accuracy_ci_high"]
    assert evaluate("sentiment", gold, pred).values == m  # seeded bootstrap


@pytest.mark.parametrize("n_labels", [1, 2, 3, 5])
def test_macro_f1_counts_match_sklearn_on_random_resamples(n_labels):
    rng = np.random.default_rng(n_labels)
    for size in (1, 7, 200):
        stats = rng.integers(0, n_labels, (size, 2))  # labels absent from a resample included
        expected = f1_score(stats[:, 0], stats[:, 1], average="macro",
                            labels=range(n_labels), zero_division=0)
        assert macro_f1(stats, n_labels) == pytest.approx(expected, abs=1e-12)


def test_ner_span_f1_matches_seqeval_strict():
    gold_tags = [("B-per", "I-per", "O"), ("B-loc", "O"), ("O", "B-org", "I-org")] * 5
    pred_tags = [("B-per", "I-per", "O"), ("I-loc", "O"), ("O", "B-org", "O")] * 5
    gold = [Example(tuple("abc"[: len(t)]), tags=t) for t in gold_tags]
    m = evaluate("ner", gold, pred_tags).values
    ref = seqeval_f1([list(t) for t in gold_tags], [list(t) for t in pred_tags], mode="strict",
                     scheme=IOB2)
    assert abs(m["f1"] - ref) < 1e-9
    assert m["f1_per"] == 1.0 and m["f1_loc"] == 0.0


def test_translation_bleu_matches_sacrebleu():
    refs = ["the cat sat on the mat", "a dog runs in the park", "two men play football"]
    hyps = ["the cat sat on a mat", "a dog runs in a park", "two men play soccer"]
    gold = [Example(("src",), target=tuple(r.split())) for r in refs]
    m = evaluate("translation", gold, [tuple(h.split()) for h in hyps])
    assert abs(m.values["bleu"] - sacrebleu.corpus_bleu(hyps, [refs]).score) < 1e-6
    assert abs(m.values["chrf"] - sacrebleu.corpus_chrf(hyps, [refs]).score) < 1e-6
    assert "nrefs:1" in m.notes["bleu_signature"]
