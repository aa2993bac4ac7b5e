"""Metrics agree with the reference libraries (the logged point estimates are theirs);
bootstrap intervals are sane and seeded."""
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


def _hand_made(task):
    """Small hand-made splits with edge cases (empty prediction, no entities, a label or an
    entity type predicted but never gold)."""
    if task == "sentiment":
        gold = ["pos", "neg", "pos", "neu", "neg", "pos", "pos"]
        pred = ["pos", "pos", "pos", "neu", "neg", "neg", "odd"]
        return [Example(("x",), label=lab) for lab in gold], pred
    if task == "ner":
        gold = [("B-per", "I-per", "O"), ("B-loc", "O"), ("O", "B-org", "I-org"), ("O",),
                ("B-per", "B-per", "O")]
        pred = [("B-per", "I-per", "O"), ("I-loc", "O"), ("O", "B-org", "O"), ("B-misc",),
                ("B-per", "I-per", "O")]
        return [Example(tuple("abc"[: len(t)]), tags=t) for t in gold], pred
    refs = ["the cat sat on the mat", "a dog runs in the park", "two men play football",
            "nothing matches", "short"]
    hyps = ["the cat sat on a mat", "a dog runs in a park", "two men play soccer", "", "short"]
    return ([Example(("src",), target=tuple(r.split())) for r in refs],
            [tuple(h.split()) for h in hyps])


def test_point_estimates_equal_the_reference_libraries_exactly():
    """The logged numbers are the reference libraries' (bitwise where they compute the same
    float operations; scikit-learn's macro-F1 and seqeval's F1 round differently)."""
    from seqeval.metrics import classification_report
    from seqeval.metrics import precision_score, recall_score

    gold, pred = _hand_made("sentiment")
    labels = [g.label for g in gold]
    for ci in (True, False):
        m = evaluate("sentiment", gold, pred, ci=ci).values
        assert m["accuracy"] == sum(g == p for g, p in zip(labels, pred)) / len(pred)
        assert m["macro_f1"] == pytest.approx(f1_score(labels, pred, average="macro"), abs=1e-12)

    gold, pred = _hand_made("ner")
    g_tags, p_tags = [list(ex.tags) for ex in gold], [list(p) for p in pred]
    kw = {"mode": "strict", "scheme": IOB2}
    report = classification_report(g_tags, p_tags, output_dict=True, zero_division=0, **kw)
    for ci in (True, False):
        m = evaluate("ner", gold, pred, ci=ci).values
        # 2 tp / (pred + gold), as before; seqeval rounds through 2 p r / (p + r).
        assert m["f1"] == pytest.approx(seqeval_f1(g_tags, p_tags, **kw), abs=1e-15)
        assert m["precision"] == precision_score(g_tags, p_tags, **kw)
        assert m["recall"] == recall_score(g_tags, p_tags, **kw)
        for t in ("per", "loc", "org", "misc"):
            assert m[f"f1_{t}"] == report[t]["f1-score"]

    gold, pred = _hand_made("translation")
    refs, hyps = [" ".join(ex.target) for ex in gold], [" ".join(p) for p in pred]
    for ci in (True, False):
        m = evaluate("translation", gold, pred, ci=ci).values
        assert m["bleu"] == sacrebleu.corpus_bleu(hyps, [refs]).score
        assert m["chrf"] == sacrebleu.corpus_chrf(hyps, [refs]).score


@pytest.mark.parametrize("task", ["sentiment", "ner", "translation"])
def test_cis_are_seeded_and_logged_names_unchanged(task):
    gold, pred = _hand_made(task)
    m = evaluate(task, gold, pred)
    assert evaluate(task, gold, pred).values == m.values  # one seeded engine
    primary = {"sentiment": ["accuracy", "macro_f1"], "ner": ["f1"],
               "translation": ["bleu", "chrf"]}[task]
    assert set(m.stats) == set(primary)
    for name in primary:
        assert m.values[f"{name}_ci_low"] <= m.values[name] <= m.values[f"{name}_ci_high"]
        assert f"{name}_ci_low" not in evaluate(task, gold, pred, ci=False).values
