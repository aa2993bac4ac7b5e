"""Recommendations, the decision tree, quantization and textbook checks on hand-made
tables (learning curves and crossovers: test_curves.py)."""
from __future__ import annotations

import dataclasses

import pytest

from reports import advice, quantization, recommend
from reports.ranking import Row, Stat
from reports.runs import to_cells
from reports.significance import Comparison
from tests.reports.claim_helpers import textbook
from tests.reports.factory import make_run


def row(model: str, q: float | None, p90: float | None, *, size: float = 1e6,
        n: int = 1000, runtime: str = "torch", base: str | None = None,
        family: str | None = None, seeds: dict | None = None, rank: int | None = None,
        twins: dict | None = None) -> Row:
    """A hand-made row; its twins default to the catalog's (as reports.runs.to_cell reads
    them for a run without metadata tags)."""
    seeds = seeds or {"1": q}
    if twins is None:
        twins = to_cells([make_run(model)])[0].twins
    return Row(model=model, family=family or model.split("_")[0], runtime=runtime, base=base,
               twins=twins,
               n_train=n, seeds=tuple(seeds), run_ids=tuple(f"{model}-{s}" for s in seeds),
               quality={"accuracy": Stat(q, None, 1, None if q is None else q - 1,
                                         None if q is None else q + 1)},
               latency_p50=p90, latency_p90=p90, size_bytes=size, params=size / 4, rank=rank,
               run_scores={f"{model}-{s}": v for s, v in seeds.items() if v is not None})


def by_gap(gap: float):
    def compare(a: Row, b: Row) -> Comparison:
        diff = a.q("accuracy") - b.q("accuracy")
        return Comparison(abs(diff) > gap, diff, basis="test")
    return compare


# ---- recommendations ----

FULL = [row("big", 90.0, 30.0, size=5e7, rank=1), row("mid", 89.5, 4.0, size=4e6, rank=1),
        row("small", 85.0, 0.8, size=1e5, rank=3)]


def test_budget_recommendations_cite_numbers():
    recs = {r.alias: r for r in recommend.recommendations(FULL, FULL, "accuracy")}
    assert recs["best-quality"].model == "big"
    assert recs["best-under-1ms"].model == "small"
    assert recs["best-under-5ms"].model == "mid"
    assert "p90 4.00 ms" in recs["best-under-5ms"].evidence
    assert "costs 0.5 points" in recs["best-under-5ms"].evidence
    assert recs["best-under-20ms"].model == "mid"
    assert recs["smallest-within-1pt"].model == "mid"
    assert "500×" in recs["smallest-within-1pt"].evidence or "12×" in \
        recs["smallest-within-1pt"].evidence


def test_no_model_fits_a_budget():
    rec = recommend.under_budget([row("slow", 80, 12.0)], "accuracy", 1.0)
    assert rec.model is None and "the fastest usable one needs 12.0 ms: slow" in rec.evidence


def test_small_data_and_all_data():
    small = [row("linear", 75.0, 0.1, n=100), row("neural", 70.0, 2.0, n=100)]
    little, everything = recommend.data_size(small, FULL, "accuracy")
    assert little.model == "linear" and little.n_train == 100
    assert "100 labelled examples" in little.evidence and "big leads instead" in little.evidence
    assert everything.model == "big"
    single, _ = recommend.data_size(FULL, FULL, "accuracy")
    assert single.model is None and "one training-set size" in single.evidence


def test_missing_metrics_and_one_model():
    recs = recommend.recommendations([row("x", None, None)], [row("x", None, None)],
                                     "accuracy")
    assert all(r.model is None for r in recs)
    solo = recommend.recommendations([row("solo", 80, 2.0, rank=1)],
                                     [row("solo", 80, 2.0, rank=1)], "accuracy")
    assert {r.model for r in solo} == {"solo", None}


def test_decision_tree_merges_budgets_with_the_same_pick():
    small = [row("linear", 75.0, 0.1, n=100), row("neural", 70.0, 2.0, n=100)]
    branches = recommend.decision_branches({100: small, 1000: FULL}, "accuracy")
    assert [b.n_train for b in branches] == [100, 1000]
    assert branches[0].label == "fewer than 1,000 labelled examples"
    assert [(leaf.budgets, leaf.model) for leaf in branches[0].leaves] == \
        [((1.0, 5.0, 20.0, None), "linear")]
    assert [leaf.model for leaf in branches[1].leaves] == ["small", "mid", "big"]
    assert branches[1].leaves[1].label == "p90 budget 5 to 20 ms"
    assert branches[0].leaves[0].label == "any latency budget"
    assert branches[1].leaves[2].label == "no latency limit"
    assert recommend.budget_alias(0.5) == "best-under-0p5ms"


# ---- quantization and textbook advice ----

def test_quantization_cost_and_gain():
    base = row("bilstm", 80.0, 4.0, seeds={"1": 80.0, "2": 81.0})
    q8 = row("bilstm_ort_q8", 79.0, 1.0, runtime="onnx_q8", base="bilstm", size=2.5e5,
             seeds={"1": 79.5, "2": 79.5})
    (q,) = quantization.quantization([base, q8], by_gap(2.0))
    assert q.delta == pytest.approx(-1.0) and q.speedup == pytest.approx(4.0)
    assert q.delta_sd == pytest.approx(0.7071, rel=1e-3)
    assert "4× faster" in q.verdict and "no significant quality change" in q.verdict
    (costly,) = quantization.quantization([base, q8], by_gap(0.1))
    assert "costs 1.0 points (significant)" in costly.verdict


def test_textbook_claims_checked_against_measurements():
    full = [row("bilstm_small", 88.0, 3.0), row("lstm_small", 80.0, 2.0),
            row("bilstm_small_ort_q8", 87.5, 1.5, runtime="onnx_q8", base="bilstm_small",
                family="bilstm"),
            row("tfidf_logreg", 79.0, 0.05, family="tfidf")]
    # An ELMo whose biLM early-stopped on held-out perplexity (pretrain/converged = 1).
    elmo = dataclasses.replace(row("elmo_small", 70.0, 9.0, n=100, family="elmo"),
                               bilm_converged=True)
    small = [elmo, row("tfidf_logreg", 72.0, 0.05, n=100, family="tfidf"),
             row("bilstm_small", 60.0, 3.0, n=100)]
    compare = by_gap(1.0)
    quant = quantization.quantization(full, compare)
    recs = recommend.recommendations(full, small, "accuracy")
    found = textbook("sentiment", "accuracy", full, small, compare, quant, recs)
    assert found[advice.ELMO_CLAIM].verdict == "disagrees"
    assert "−2.0 points" in found[advice.ELMO_CLAIM].evidence  # the effect size, stated
    realtime = found["A quantized (int8) LSTM is the choice for real-time use."]
    assert realtime.verdict == "disagrees" and "tfidf_logreg" in realtime.evidence
    assert found["Bidirectional encoders beat unidirectional ones."].verdict == "agrees"
    linear = "With little labelled data a linear TF-IDF model beats neural networks."
    assert found[linear].verdict == "agrees"
    assert "A CRF output layer improves NER." not in found  # not a NER section


def test_textbook_pairs_come_from_the_twin_metadata_never_the_names():
    compare = by_gap(1.0)
    bidi = "Bidirectional encoders beat unidirectional ones."
    named = [row("bifoo_x", 88.0, 3.0, twins={}), row("foo_x", 80.0, 2.0, twins={})]
    assert bidi not in textbook("sentiment", "accuracy", named, [], compare, [], [])
    twins = [row("enc_a", 88.0, 3.0, twins={"unidirectional": "enc_b"}),
             row("enc_b", 80.0, 2.0, twins={}),
             row("big_a", 70.0, 3.0, twins={"small": "enc_a"})]
    found = textbook("ner", "accuracy", twins, [], compare, [], [])
    assert found[bidi].verdict == "agrees" and "enc_a" in found[bidi].evidence
    assert found["Bigger models are better."].verdict == "disagrees"
    assert "A CRF output layer improves NER." not in found  # no CRF twin measured
    # Runs logged before the metadata tags read their twins from the catalog entry.
    cell = to_cells([make_run("bilstm_crf_base")])[0]
    assert cell.twins == {"no_crf": "bilstm_base", "small": "bilstm_crf_small"}
    tagged = to_cells([make_run("bilstm_crf_base", tags={"model_size": "base"})])[0]
    assert tagged.twins == {}  # a run with metadata tags is read as logged


def test_a_pretrained_model_has_its_own_claim_and_stays_out_of_the_others():
    from reports.usable import markers

    minilm = dataclasses.replace(row("minilm_l6", 90.0, 8.0, family="pretrained_transformer"),
                                 pretrained="all-MiniLM-L6-v2")
    minilm_small = dataclasses.replace(minilm, n_train=100, quality={
        "accuracy": Stat(80.0, None, 1, 79.0, 81.0)}, run_scores={"minilm_l6-1": 80.0})
    full = [minilm, row("bilstm_small", 88.0, 3.0), row("tfidf_logreg", 79.0, 0.05,
                                                         family="tfidf")]
    small = [minilm_small, row("tfidf_logreg", 72.0, 0.05, n=100, family="tfidf"),
             row("bilstm_small", 60.0, 3.0, n=100)]
    found = textbook("sentiment", "accuracy", full, small, by_gap(1.0), [], [])
    claim = found["A transformer pretrained on outside text beats every model trained on the "
                  "benchmark alone."]
    assert claim.verdict == "agrees" and "bilstm_small" in claim.evidence
    assert "tfidf_logreg" in claim.evidence  # the best from scratch at 100 examples
    # The linear claim compares models trained from scratch only: minilm would reverse it.
    linear = "With little labelled data a linear TF-IDF model beats neural networks."
    assert found[linear].verdict == "agrees" and "minilm" not in found[linear].evidence
    assert "pretrained" in markers(minilm) and "pretrained" not in markers(full[1])
    # Close enough to the best scratch model: no significant difference, inconclusive.
    close = textbook("sentiment", "accuracy", full[:2], [], by_gap(5.0), [], [])
    assert close[claim.claim].verdict == "inconclusive"
