"""Textbook advice about pretrained encoders on hand-made rows: frozen vs fine-tuned twins
(claim 5), frozen encoders and ELMo for small data (claims 3/4), the layer mix across tasks
(claim 8), the "biLM not converged" marker and the biLM record."""
from __future__ import annotations

import re
from dataclasses import replace

import pytest

from reports import advice, layer_mix, pretrained_advice
from reports.build import build_report, pretraining
from reports.charts import mix_chart
from reports.ranking import Row, Stat, aggregate
from reports.runs import to_cells
from reports.significance import Comparison
from reports.usable import RunStop, assess, markers
from tests.reports.claim_helpers import textbook
from tests.reports.factory import BILM, make_run

FREEZE = pretrained_advice.FREEZE_CLAIM
SMALL = pretrained_advice.FROZEN_SMALL_CLAIM


def enc(model: str, q: float, n: int = 1000, *, pretrained: str = "", mode: str = "",
        twins: dict | None = None, bilm: bool | None = None, family: str = "x",
        seeds: tuple[str, ...] = ("1", "2")) -> Row:
    return Row(model=model, family=family, runtime="torch", base=None, n_train=n,
               seeds=seeds, run_ids=tuple(f"{model}-{n}-{s}" for s in seeds),
               quality={"accuracy": Stat(q, None, len(seeds), q - 1, q + 1)},
               twins=twins or {}, pretrained=pretrained, encoder_mode=mode,
               bilm_converged=bilm)


def paired(a: Row, b: Row) -> Comparison:
    """Significant beyond 1 point, with a CI of the difference as the paired bootstrap gives."""
    diff = a.q("accuracy") - b.q("accuracy")
    return Comparison(abs(diff) > 1.0, diff, 0.01 if abs(diff) > 1 else 0.5,
                      (diff - 0.8, diff + 0.8), "paired bootstrap")


def minilm_pair(small: tuple[float, float], large: tuple[float, float], **kw):
    """{size: [frozen row, fine-tuned row]} at 100 and 1,000 examples."""
    out = {}
    for n, (f, t) in ((100, small), (1000, large)):
        out[n] = [enc("minilm_frozen", f, n, pretrained="ckpt", mode="frozen",
                      twins={"finetuned": "minilm_l6"}, **kw),
                  enc("minilm_l6", t, n, pretrained="ckpt", mode="finetuned",
                      twins={"frozen": "minilm_frozen"}, **kw)]
    return out


# ---- claim 5: freeze with little data, fine-tune with a lot ---------------------------------

@pytest.mark.parametrize("scores, verdict, reason", [
    ([(848, 1), (8000, -1)], "agrees", ""),
    ([(848, 0), (8000, -1)], "agrees", ""),
    ([(848, -1), (8000, 1)], "disagrees", ""),
    ([(848, 0), (8000, 1)], "disagrees", ""),
    ([(848, -1), (2000, -1), (8000, -1)], "inconclusive", "fine-tuned ahead at every size"),
    ([(848, -1), (2000, 0), (8000, -1)], "inconclusive", "fine-tuned ahead at 848 and 8,000"),
    ([(848, 1), (8000, 1)], "inconclusive", "frozen ahead at every size"),
    ([(848, 1), (8000, 0)], "inconclusive", "no detectable difference at 8,000"),
    ([(848, 0), (8000, 0)], "inconclusive", "no detectable difference at 848 and 8,000"),
    ([(848, -1), (8000, 0)], "inconclusive",
     "fine-tuned ahead at 848; no detectable difference at 8,000"),
    ([(848, None), (8000, -1)], "inconclusive", "the difference at 848 could not be tested"),
    ([(848, 1)], "inconclusive", "only one training size measured (848)"),
])
def test_freeze_rule(scores, verdict, reason):
    assert pretrained_advice.freeze_reason(scores) == (verdict, reason)


def test_frozen_ahead_with_little_data_and_fine_tuned_with_all_agrees_with_effect_sizes():
    (found,) = pretrained_advice.freeze_or_finetune(minilm_pair((80, 70), (84, 90)), paired,
                                                    "accuracy")
    assert found.claim == FREEZE and found.verdict == "agrees"
    assert "minilm_frozen (frozen) against its fine-tuned twin minilm_l6" in found.evidence
    assert "at 100 examples (+10.0 points, 95% CI +9.2 to +10.8, p=0.010)" in found.evidence
    assert "at 1,000 examples (−6.0 points, 95% CI −6.8 to −5.2" in found.evidence


def test_the_opposite_disagrees_and_a_one_sided_result_is_inconclusive():
    (opposite,) = pretrained_advice.freeze_or_finetune(minilm_pair((70, 80), (90, 84)),
                                                       paired, "accuracy")
    assert opposite.verdict == "disagrees"
    (tuned,) = pretrained_advice.freeze_or_finetune(minilm_pair((70, 80), (80, 90)), paired,
                                                    "accuracy")
    assert tuned.label == "inconclusive: fine-tuned ahead at every size"
    (level,) = pretrained_advice.freeze_or_finetune(minilm_pair((80, 70), (85, 85.5)), paired,
                                                    "accuracy")
    assert level.label == "inconclusive: no detectable difference at 1,000"
    assert "no significant difference: −0.5 points" in level.evidence


def test_an_unusable_end_or_an_unconverged_bilm_leaves_claim_5_inconclusive():
    by_size = minilm_pair((80, 70), (84, 90))
    capped = assess([RunStop("time_cap", False)], floor=False, versus_floor=None)
    by_size[100][0] = replace(by_size[100][0], usability=capped)
    (found,) = pretrained_advice.freeze_or_finetune(by_size, paired, "accuracy")
    assert found.label == "inconclusive: minilm_frozen time-capped"
    for converged, verdict in ((False, "inconclusive"), (True, "agrees")):
        elmo = {n: [replace(r, pretrained="", family="elmo", bilm_converged=converged)
                    for r in rows] for n, rows in minilm_pair((80, 70), (84, 90)).items()}
        (found,) = pretrained_advice.freeze_or_finetune(elmo, paired, "accuracy")
        assert found.verdict == verdict
    assert found.reason == "" and "biLM not converged" not in found.evidence
    (unconverged,) = pretrained_advice.freeze_or_finetune(
        {n: [replace(r, pretrained="", bilm_converged=False) for r in rows]
         for n, rows in minilm_pair((80, 70), (84, 90)).items()}, paired, "accuracy")
    assert unconverged.label == "inconclusive: biLM not converged"


def test_claim_5_pairs_come_from_twin_tags_and_need_two_sizes():
    untagged = {n: [replace(r, twins={}) for r in rows]
                for n, rows in minilm_pair((80, 70), (84, 90)).items()}
    assert pretrained_advice.freeze_or_finetune(untagged, paired, "accuracy") == []
    (one,) = pretrained_advice.freeze_or_finetune({1000: minilm_pair((80, 70), (84, 90))[1000]},
                                                  paired, "accuracy")
    assert one.label == "inconclusive: only one training size measured (1,000)"


# ---- claims 3/4: a pretrained contextual encoder for small data -----------------------------

def _small_data(frozen: float, scratch: float, elmo: float = 50.0, elmo_ok: bool = True):
    rows = [enc("minilm_frozen", frozen, 100, pretrained="ckpt", mode="frozen"),
            enc("bilstm", scratch, 100), enc("tfidf", scratch - 5, 100, family="tfidf"),
            enc("elmo_frozen", elmo, 100, mode="frozen", family="elmo", bilm=elmo_ok)]
    return {100: rows, 1000: [replace(r, n_train=1000) for r in rows]}


def test_frozen_pretrained_encoder_against_the_best_model_trained_from_scratch():
    agrees = pretrained_advice.frozen_small_data(_small_data(80, 70), paired, "accuracy")
    assert agrees.claim == SMALL and agrees.verdict == "agrees"
    assert "minilm_frozen 80.0 (pretrained) vs bilstm 70.0 at 100 examples (+10.0 points, 95% " \
           "CI" in agrees.evidence
    # ELMo is not "from scratch": even far ahead it is not the opponent.
    assert "elmo" not in pretrained_advice.frozen_small_data(
        _small_data(80, 70, elmo=95), paired, "accuracy").evidence
    assert pretrained_advice.frozen_small_data(_small_data(60, 70), paired,
                                               "accuracy").verdict == "disagrees"
    level = pretrained_advice.frozen_small_data(_small_data(70.5, 70), paired, "accuracy")
    assert level.label == "inconclusive: no significant difference"
    only_one = {100: _small_data(80, 70)[100]}
    assert pretrained_advice.frozen_small_data(only_one, paired, "accuracy") is None


def _elmo_claim(elmo_ok: bool) -> advice.Advice:
    rows = _small_data(80, 70, elmo=78, elmo_ok=elmo_ok)
    found = textbook("sentiment", "accuracy", rows[1000], rows[100], paired, [], [])
    return found[advice.ELMO_CLAIM]


def test_the_elmo_claim_only_rests_on_a_converged_bilm():
    assert _elmo_claim(True).verdict == "agrees"  # 78 vs the best from scratch, 70
    assert "+8.0 points, 95% CI +7.2 to +8.8" in _elmo_claim(True).evidence
    unconverged = _elmo_claim(False)
    assert unconverged.label == "inconclusive: biLM not converged"
    assert "elmo_frozen 78.0 (biLM not converged) vs bilstm 70.0" in unconverged.evidence
    # Rows of older runs (family ELMo, no biLM record) are not known to be converged.
    assert _elmo_claim(None).label == "inconclusive: biLM not converged"


def test_a_claim_that_needs_an_unconverged_elmo_is_inconclusive():
    rows = [enc("elmo_big", 90.0, family="elmo", bilm=False, twins={"small": "elmo_small"}),
            enc("elmo_small", 80.0, family="elmo", bilm=False)]
    found = textbook("sentiment", "accuracy", rows, rows, paired, [], [])
    assert found["Bigger models are better."].label == (
        "inconclusive: elmo_big biLM not converged; elmo_small biLM not converged")


# ---- the marker and the biLM record ----------------------------------------------------------

def _elmo_run(**metrics) -> dict:
    run = make_run("elmo_frozen_small", family="elmo", tags={"model_size": "small"})
    run["metrics"].update(metrics)
    return run


def test_an_elmo_row_without_a_converged_bilm_carries_the_marker():
    def marks(*runs):
        (row,) = aggregate(to_cells(runs), "sentiment")
        return markers(row)

    assert "biLM not converged" in marks(_elmo_run(**BILM))  # converged = 0
    assert "biLM not converged" in marks(_elmo_run(**{"pretrain/perplexity": 300.0}))  # older
    assert "biLM not converged" not in marks(_elmo_run(**{**BILM, "pretrain/converged": 1.0}))
    # One seed's biLM not converged is enough.
    assert "biLM not converged" in marks(_elmo_run(**{**BILM, "pretrain/converged": 1.0}),
                                         {**_elmo_run(**BILM), "tags": {
                                             **_elmo_run()["tags"], "seed": "2"}})
    plain = make_run("bilstm_small", tags={"model_size": "small"})
    assert "biLM not converged" not in marks(plain)
    checkpoint = make_run("minilm_frozen", tags={"model_size": "base", "pretrained": "ckpt"})
    checkpoint["metrics"]["pretrain/checkpoint_params"] = 2.2e7
    assert markers(aggregate(to_cells([checkpoint]), "sentiment")[0]) == ["pretrained",
                                                                           "1 seed"]


def test_the_bilm_record_says_whether_it_converged_beside_elmos_published_perplexity():
    (record,) = pretraining(to_cells([_elmo_run(**BILM)]))
    assert (record.steps, record.corpus_tokens, record.converged) == (300, 2_134_567, False)
    assert "39.7 on the 1B Word Benchmark" in record.published
    (old,) = pretraining(to_cells([_elmo_run(**{"pretrain/perplexity": 300.0})]))
    assert old.converged is None and old.steps is None
    from reports.markdown import render_markdown
    from reports.render import render_html

    for converged, text in ((0.0, "Not converged"), (1.0, "Converged")):
        report = build_report([_elmo_run(**{**BILM, "pretrain/converged": converged})], [],
                              "exp")
        html = " ".join(re.sub(r"<[^>]+>", "", render_html(report, [], "sqlite:///x.db")).split())
        assert (f"(2,134,567 tokens) of 3 datasets (never dev or test), 300 steps, 0.13 epochs "
                f"in 60 s; held-out perplexity 19,917 → 310. {text}") in html
        assert ("For context only: ELMo&#39;s biLM: about 39.7 on the 1B Word Benchmark "
                "(Peters et al. 2018; a different corpus and vocabulary, not a rank).") in html
        assert text in render_markdown(report, [], "sqlite:///x.db")


# ---- claim 8: the layer mix across tasks ------------------------------------------------------

def _mix(ner: list[float], sentiment: list[float], *, converged: bool = True,
         layers: int = 7) -> layer_mix.MixModel:
    runs = [layer_mix.MixRun(f"{task}-{i}", task, "d", 100, str(i), (), value, None)
            for task, values in (("ner", ner), ("sentiment", sentiment))
            for i, value in enumerate(values)]
    return layer_mix.MixModel("minilm_frozen", "ckpt", not converged, converged, layers,
                              tuple(runs))


def test_layer_claim_agrees_disagrees_or_says_why_not():
    agrees = layer_mix.layer_claim(_mix([0.30, 0.34, 0.32], [0.70, 0.75, 0.72]))
    assert agrees.verdict == "agrees" and agrees.claim == layer_mix.LAYER_CLAIM
    assert "NER 0.32 (3 runs) vs sentiment 0.72 (3 runs)" in agrees.evidence
    assert "NER − sentiment −0.40 (95% CI −0.4" in agrees.evidence
    assert "bootstrap over runs" in agrees.evidence
    assert layer_mix.layer_claim(_mix([0.7, 0.75], [0.3, 0.32])).verdict == "disagrees"
    spans = layer_mix.layer_claim(_mix([0.3, 0.7, 0.5], [0.4, 0.6, 0.5]))
    assert spans.label == "inconclusive: no detectable difference (the 95% CI spans 0)"
    assert layer_mix.layer_claim(_mix([0.3], [0.7])).label == "inconclusive: one run per side"
    assert layer_mix.layer_claim(_mix([0.3], [0.7, 0.72])).label == (
        "inconclusive: only one NER run")
    assert layer_mix.layer_claim(_mix([], [0.7, 0.72])).label == "inconclusive: no NER runs"
    assert layer_mix.layer_claim(_mix([], [])) is None
    elmo = layer_mix.layer_claim(_mix([0.30, 0.34], [0.70, 0.75], converged=False, layers=3))
    assert elmo.label == "inconclusive: biLM not converged" and "−0.40" in elmo.evidence


def test_difference_ci_is_the_seeded_bootstrap_of_the_difference_of_means():
    diff, low, high = layer_mix.difference_ci([0.2, 0.4], [0.6, 0.8, 1.0])
    assert diff == pytest.approx(-0.5)
    assert -0.8 <= low < diff < high <= -0.2
    assert layer_mix.difference_ci([0.2, 0.4], [0.6, 0.8, 1.0]) == (diff, low, high)


def _mix_run(model: str, task: str, seed: int, weights: list[float], mode: str = "frozen",
             **kw) -> dict:
    run = make_run(model, task=task, dataset="wnut16" if task == "ner" else "mr", seed=seed,
                   tags={"model_size": "base", "encoder_mode": mode}, **kw)
    run["metrics"].update({f"mix/layer_{k}": w for k, w in enumerate(weights)})
    run["metrics"]["mix/layers"] = float(len(weights))
    return run


def test_mix_models_read_frozen_encoders_of_usable_rows_only():
    runs = [_mix_run("frozen", "ner", 1, [0.5, 0.3, 0.2]),
            _mix_run("frozen", "ner", 2, [0.7, 0.2, 0.1]),
            _mix_run("frozen", "sentiment", 1, [0.1, 0.3, 0.6]),
            _mix_run("tuned", "ner", 1, [0.2, 0.3, 0.5], mode="finetuned")]
    cells = to_cells(runs)
    by_id = {c.run_id: c for c in cells}
    ner = aggregate(cells, "ner")
    capped = assess([RunStop("time_cap", False)], floor=False, versus_floor=None)
    sentiment = [replace(r, usability=capped) for r in aggregate(cells, "sentiment")]
    (model,) = layer_mix.mix_models([*ner, *sentiment], by_id)
    assert model.model == "frozen" and model.layers == 3 and model.left_out == 1
    assert model.tasks == ["ner"] and len(model.task_runs("ner")) == 2
    assert model.mean_weights("ner") == pytest.approx((0.6, 0.25, 0.15))
    # mix/mean_layer is derived from the weights when a run did not log it.
    assert model.runs[0].mean_layer == pytest.approx((0.3 + 2 * 0.2) / 2)


def test_the_mix_chart_draws_one_line_per_task_with_its_runs_and_escapes_names():
    hostile = "<script>x</script>"
    model = layer_mix.MixModel(hostile, "", False, True, 3, (
        layer_mix.MixRun("a", "ner", "wnut16", 100, "1", (0.5, 0.3, 0.2), 0.35, 1.0),
        layer_mix.MixRun("b", "ner", "wnut16", 100, "2", (0.6, 0.3, 0.1), 0.25, 1.0),
        layer_mix.MixRun("c", "sentiment", "mr", 100, "1", (0.1, 0.3, 0.6), 0.75, 1.0)))
    svg = str(mix_chart(model, "mix-0"))
    assert svg.startswith("<svg") and svg.count("<polyline") == 2
    assert "NER (2 runs)" in svg and "Sentiment (1 runs)" in svg and "uniform 1/3" in svg
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert mix_chart(replace(model, layers=1), "mix-1") is None
