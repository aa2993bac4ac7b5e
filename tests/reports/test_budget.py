"""`zoo recommend` (reports.budget, zoo.cli_recommend): the report's own rules for any budget.
It agrees with the report's cards for the report's budgets (the default ones and those set
by `zoo report --budgets`), says what a budget costs, and says in words why nothing fits."""
from __future__ import annotations

import json

import pytest

from reports.budget import Budget, answer, rows_for_labels
from reports.render import load_report
from zoo.cli import main


@pytest.fixture
def rich(rich_store, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(rich_store))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return rich_store


def _rows(section):
    return {**section.rows_by_size, section.n_full: section.rows}


@pytest.mark.parametrize("budgets", [(1.0, 5.0, 20.0), (1.0, 3.0, 10.0)])
def test_recommend_agrees_with_the_reports_cards_for_its_budgets(rich, budgets):
    report, _ = load_report("nlp-zoo", budgets=budgets, analysis=False)
    checked = 0
    for s in report.sections:
        cards = {rec.alias: rec for rec in s.recs}
        for b in budgets:
            card = cards[f"best-under-{b:g}ms".replace(".", "p")]
            found = answer(_rows(s), s.metric, Budget(p90_ms=b), where=s.dataset)
            assert (found.pick.model if found.pick else None) == card.model, (s.dataset, b)
            checked += 1
        best = answer(_rows(s), s.metric, Budget(), where=s.dataset)
        assert (best.pick.model if best.pick else None) == cards["best-quality"].model
        # the tree's leaves are the same picks
        leaves = {lb: leaf.model for leaf in s.branches[-1].leaves for lb in leaf.budgets}
        for b in budgets:
            found = answer(_rows(s), s.metric, Budget(p90_ms=b))
            assert leaves[b] == (found.pick.model if found.pick else None)
    assert checked == len(budgets) * len(report.sections)


def test_a_tight_budget_names_its_cost_and_runner_up(rich):
    report, _ = load_report("nlp-zoo", analysis=False)
    mr = next(s for s in report.sections if s.dataset == "mr")
    found = answer(_rows(mr), mr.metric, Budget(p90_ms=2.0))
    # lstm_small leads at p90 2.6 ms; under 2 ms tfidf_logreg (77.0), then the int8 twin (76.1)
    assert (found.pick.model, found.best.model) == ("tfidf_logreg", "lstm_small")
    assert found.runner_up.model == "bilstm_small_ort_q8" and found.runner_up.latency_p90 <= 2
    assert found.cost == pytest.approx(82.125 - 77.0) and found.cost_significant
    assert "the budget costs 5.1 points." in found.text
    assert "Runner-up: bilstm_small_ort_q8" in found.text and "sharing the pick's rank" in found.text


def test_labels_pick_the_largest_measured_size_not_above_them(rich):
    report, _ = load_report("nlp-zoo", analysis=False)
    mr = next(s for s in report.sections if s.dataset == "mr")
    assert rows_for_labels(_rows(mr), 5000)[0] == 4000
    assert rows_for_labels(_rows(mr), None)[0] == 8000
    small = answer(_rows(mr), mr.metric, Budget(labels=900))
    assert small.n_train == 800 and small.pick.n_train == 800
    none = answer(_rows(mr), mr.metric, Budget(labels=100))
    assert none.pick is None and "smallest measured training size is 800" in none.text


def test_nothing_fits_says_why_in_words(rich):
    report, _ = load_report("nlp-zoo", analysis=False)
    mr = next(s for s in report.sections if s.dataset == "mr")
    found = answer(_rows(mr), mr.metric, Budget(p90_ms=0.01, max_size_mb=0.5))
    assert found.pick is None
    assert "needs p90" in found.text and "the smallest usable model" in found.text


def test_zoo_recommend_prints_json_and_refuses_unknown_datasets(rich, capsys):
    assert main(["recommend", "--dataset", "mr", "--p90-ms", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dataset"] == "mr" and out["pick"]["model"] and out["budget"]["p90_ms"] == 5
    assert out["pick"]["p90_ms"] <= 5 and len(out["pick"]["ci"]) == 2
    assert main(["recommend", "--dataset", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "'nope'" in err and "mr" in err


def test_zoo_report_budgets_set_the_latency_columns(rich, tmp_path, capsys):
    assert main(["report", "--budgets", "10,1,3", "--out", str(tmp_path)]) == 0
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    header = next(line for line in md.splitlines() if line.startswith("| Task · dataset"))
    assert "p90 ≤ 1 ms | p90 ≤ 3 ms | p90 ≤ 10 ms" in header and "5 ms" not in header
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main(["report", "--budgets", "1,-3"])
    assert stop.value.code == 2
    assert "argument --budgets: '-3' is not a number above 0" in capsys.readouterr().err
