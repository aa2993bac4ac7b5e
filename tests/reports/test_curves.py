"""Learning curves with their CI bands, and the rule that a crossover is stated only where each
model is significantly ahead at its end (on hand-made rows, and through the real paired
bootstrap on hand-made per-example statistics)."""
from __future__ import annotations

import re

import pytest

from reports import curves
from reports.build import build_report
from reports.charts import learning_chart
from reports.markdown import render_markdown
from tests.reports.claim_helpers import by_gap, mk
from tests.reports.factory import floor_run, make_run


def two_sizes(small: tuple[float, float], large: tuple[float, float]) -> dict:
    """{size: [linear row, neural row]} at 100 and 10,000 examples."""
    return {n: [mk("linear", "tfidf", a, n), mk("neural", "transformer", b, n)]
            for n, (a, b) in ((100, small), (10_000, large))}


def test_a_crossover_holds_when_each_model_is_significantly_ahead_at_its_end():
    by_size = two_sizes((70, 60), (80, 90))
    (cross,) = curves.crossovers(by_size, by_gap(1.0), "accuracy")
    assert (cross.small_data_winner, cross.large_data_winner) == ("linear", "neural")
    assert cross.holds and cross.between == (100, 10_000)
    assert cross.at == 1000  # equal gaps on both sides: the log-midpoint of 100 and 10,000
    assert cross.below.diff == pytest.approx(10) and cross.below.ci == (9, 11)
    assert cross.above.diff == pytest.approx(10)
    lc = curves.learning_curves(by_size, "accuracy")
    assert curves.leaders(lc) == ["linear", "neural"]
    assert curves.round_significant(1234) == 1200 and curves.round_significant(0.0) == 0
    assert (lc["neural"][0].ci_low, lc["neural"][0].ci_high) == (58, 62)  # the row's CI


@pytest.mark.parametrize("small, large", [((61, 60), (80, 90)),  # level at the small end
                                          ((70, 60), (89.5, 90)),  # level at the large end
                                          ((60.5, 60), (79.5, 80))])  # level at both
def test_a_mean_flip_that_is_not_significant_at_an_end_is_no_crossover(small, large):
    (flip,) = curves.crossovers(two_sizes(small, large), by_gap(1.0), "accuracy")
    assert not flip.holds  # kept as unconfirmed, never stated as a crossover


def test_the_bracket_skips_sizes_where_neither_model_leads():
    by_size = {**two_sizes((70, 60), (80, 90)),
               1000: [mk("linear", "tfidf", 75.9, 1000), mk("neural", "transformer", 75, 1000)]}
    (cross,) = curves.crossovers(by_size, by_gap(1.0), "accuracy")
    assert cross.holds and cross.between == (100, 10_000)
    assert cross.at == 1200  # where the means change sign: between 1,000 and 10,000


def test_floors_runtime_twins_and_kept_orders_are_no_crossover():
    by_size = two_sizes((70, 60), (80, 90))
    assert curves.crossovers({n: rows[:1] + [mk("q8", "tfidf", 99 if n < 1000 else 1, n,
                                                 runtime="onnx_q8")]
                              for n, rows in by_size.items()}, by_gap(1.0), "accuracy") == []
    kept = two_sizes((70, 60), (90, 80))
    assert curves.crossovers(kept, by_gap(1.0), "accuracy") == []


def test_the_learning_chart_draws_each_models_ci_band():
    lc = curves.learning_curves(two_sizes((70, 60), (80, 90)), "accuracy")
    svg = str(learning_chart(lc, "accuracy", "lc"))
    assert svg.count('class="ci-band"') == 2
    band = re.search(r'class="ci-band" points="([^"]+)"', svg).group(1).split()
    assert len(band) == 4  # upper edge at 2 sizes, lower edge back
    assert "95% CI 68.0–72.0 at 100 examples" in svg  # the tooltip states it


# ---- through the report: the leaderboard's paired bootstrap decides -------------------------

N_TEST = 400


def _predictions(gain: int, loss: int) -> list[list[int]]:
    """(gold, predicted) rows over one test set: right on the first 280 sentences (70%),
    then `loss` of those turned wrong and `gain` of the others turned right. The two models
    disagree on gain + loss sentences: many disagreements make a small net gap noisy."""
    right = [i < 280 for i in range(N_TEST)]
    for i in range(loss):
        right[i] = False
    for i in range(280, 280 + gain):
        right[i] = True
    return [[i % 2, i % 2 if ok else 1 - i % 2] for i, ok in enumerate(right)]


def _runs(changes: dict[int, tuple[int, int]]) -> tuple[list[dict], dict]:
    """lstm_small (family lstm) and transformer_small (family transformer) at each size, 2
    seeds, per-example stats: the transformer gains and loses changes[n] sentences."""
    runs, stats = [], {}
    for i, (n, change) in enumerate(sorted(changes.items())):
        size = ("0.1", "1.0")[i]
        runs.append(floor_run(quality=0.5, n=n, size=size))
        for seed in (1, 2):
            for model, family, rows in (("lstm_small", "lstm", _predictions(0, 0)),
                                        ("transformer_small", "transformer",
                                         _predictions(*change))):
                q = sum(g == p for g, p in rows) / N_TEST
                run = make_run(model, family=family, quality=q, n=n, size=size, seed=seed)
                runs.append(run)
                stats[run["run_id"]] = {"version": 1, "task": "sentiment", "split": "test",
                                        "n": N_TEST, "stats": {"accuracy": rows,
                                                               "macro_f1": rows}}
    return runs, stats


def _section(changes: dict[int, tuple[int, int]]):
    runs, stats = _runs(changes)
    report = build_report(runs, [], "exp", stats=stats)
    return report, render_markdown(report, [], "sqlite:///x.db")


def test_a_large_crossover_holds_under_the_paired_bootstrap():
    report, md = _section({800: (20, 80), 8000: (80, 20)})  # −15 and +15 points
    (s,) = report.sections
    (cross,) = s.crossovers
    assert cross.holds and cross.below.basis == "paired bootstrap"
    assert (cross.small_data_winner, cross.large_data_winner) == ("lstm_small",
                                                                  "transformer_small")
    assert "Crossovers that hold" in md and "No detectable crossover" not in md
    claim = next(r for r in report.claims if r.claim.number == 20 and r.where != "–")
    assert claim.advice.verdict == "agrees"


def test_a_small_noisy_flip_is_no_detectable_crossover_and_settles_no_verdict():
    report, md = _section({800: (34, 40), 8000: (40, 34)})  # −1.5 and +1.5 points
    (s,) = report.sections
    assert s.crossovers == [] and s.n_crossovers == 0
    (flip,) = s.unconfirmed
    assert flip.below.significant is False and flip.below.ci[0] < 0 < flip.below.ci[1]
    assert "No detectable crossover between 800 and 8,000." in md
    assert re.search(r"`lstm_small` − `transformer_small`: \+\d\.\d \(95% CI −\d+\.\d to "
                     r"\+\d+\.\d\) at 800", md)
    claim = next(r for r in report.claims if r.claim.number == 20 and r.where != "–")
    assert claim.advice.label == "inconclusive: no detectable crossover between 800 and 8,000"
    assert len(claim.advice.effects) == 2 and all(e.ci for e in claim.advice.effects)
