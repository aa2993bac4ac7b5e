"""Claim 19 and the recipe-vs-tuned table (issue 26 item 4): the verdict per dataset comes
from each study's paired test only, and the table is in both renderings."""
from __future__ import annotations

import pytest

from reports.build import build_report
from reports.markdown import render_markdown
from reports.render import render_html
from reports.significance import Comparison
from reports.tuning import TuningRow, verdict
from tests.reports.factory import floor_run, make_run


def _row(model: str, diff: float, significant: bool) -> TuningRow:
    c = Comparison(significant, diff, 0.01 if significant else 0.4,
                   (diff - 1.0, diff + 1.0), "paired bootstrap")
    return TuningRow(f"{model}/mr", model, "mr", "1.0", "accuracy", (1, 2, 3), 75.0,
                     75.0 + diff, 74.0, 74.0 + diff, c, verdict(c), {"lr": "0.003"})


def _report(rows):
    runs = [make_run("lstm_small", family="lstm"), floor_run()]
    return build_report(runs, [], "exp", tuning=rows)


@pytest.mark.parametrize("rows, expected", [
    ([_row("lstm_small", 2.5, True), _row("cnn_small", 1.8, True)], "agrees"),
    ([_row("lstm_small", -2.0, True)], "disagrees"),
    ([_row("lstm_small", 2.5, True), _row("cnn_small", 0.4, False)],
     "inconclusive: mixed results"),
    ([_row("lstm_small", 1.2, False)], "inconclusive: no significant difference"),
])
def test_claim_19_follows_each_studys_paired_test(rows, expected):
    (row,) = [r for r in _report(rows).claims if r.claim.number == 19]
    assert row.advice.label == expected and row.where == "mr (zoo tune)"
    assert "lstm_small tuned − recipe" in row.effect_text


def test_without_studies_claim_19_says_what_it_needs_and_the_table_is_absent():
    report = _report([])
    (row,) = [r for r in report.claims if r.claim.number == 19]
    assert row.advice.label.startswith("inconclusive: not measured (needs the tuning studies")
    assert "Recipe vs tuned" not in render_html(report, [], "sqlite:///x.db")


def test_the_recipe_vs_tuned_table_renders_in_html_and_markdown():
    report = _report([_row("lstm_small", 2.5, True)])
    html = render_html(report, [], "sqlite:///x.db")
    md = render_markdown(report, [], "sqlite:///x.db")
    for text in (html, md):
        assert "Recipe vs tuned" in text and "tuning gains significantly" in text
        assert "lr=0.003" in text
