"""Only usable evidence decides: converged AND significantly above the task's floor model.
The rule itself, what the leaderboard / cards / verdicts / summary make of it."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from reports import recommend, usable
from reports.build import build_report
from reports.render import render_html
from reports.significance import Comparison
from reports.summary import summarize
from tests.reports.claim_helpers import textbook
from tests.reports.factory import floor_run, make_run
from tests.reports.test_recommend import by_gap, row

ABOVE = Comparison(True, 30.0, 0.001, (25.0, 35.0), "paired bootstrap")
LEVEL = Comparison(False, 0.5, 0.41, (-1.0, 2.0), "paired bootstrap")


def stop(reason: str, converged: bool | None = None, improving: bool | None = None):
    tags = {"zoo.stop_reason": reason}
    if converged is not None:
        tags["zoo.converged"] = str(converged).lower()
    metrics = {} if improving is None else {"train/still_improving": float(improving)}
    return usable.run_stop("lstm_small", "lstm", tags, metrics)


# ---- the rule ----

def test_converged_and_above_the_floor_is_usable():
    got = usable.assess([stop("early_stopped", True)] * 2, floor=False, versus_floor=ABOVE)
    assert got.usable and got.reason == "" and got.badge == "converged"


def test_time_capped_is_not_usable_even_above_the_floor():
    got = usable.assess([stop("early_stopped", True), stop("time_cap", False)], floor=False,
                        versus_floor=ABOVE)
    assert not got.usable and got.reason == "time-capped (1 of 2 seeds)"
    assert got.badge == "time-capped" and got.time_capped


def test_epoch_cap_still_improving_is_not_converged():
    got = usable.assess([stop("epoch_cap", None, improving=True)], floor=False,
                        versus_floor=ABOVE)
    assert not got.usable and got.reason == "not converged (epoch cap, dev still rising)"
    assert got.badge == "epoch cap, still improving"


def test_a_schedule_run_to_its_end_is_converged_and_older_runs_are_read_so():
    """schedule_end (a linear decay to zero that ran every epoch, zoo.train.stop_summary) is
    converged even with dev best at its last epoch; a run logged before that reason existed
    (tagged epoch_cap, its params saying decay=linear) is read the same way, and an epoch cap
    under another schedule is still not converged."""
    from reports.runs import to_cell

    got = usable.assess([stop("schedule_end", True, improving=True)], floor=False,
                        versus_floor=ABOVE)
    assert got.usable and got.badge == "schedule ended"
    old = {"tags": {"zoo.model": "minilm_l6", "zoo.stop_reason": "epoch_cap",
                    "zoo.converged": "false"},
           "metrics": {"train/still_improving": 1.0}, "params": {"train.decay": "linear"}}
    cell = to_cell(old)
    assert usable.run_stop(cell.model, cell.family, cell.tags, cell.metrics).converged
    constant = to_cell({**old, "params": {"train.decay": "none"}})
    assert not usable.run_stop(constant.model, constant.family, constant.tags,
                               constant.metrics).converged


def test_at_the_floor_is_not_usable():
    got = usable.assess([stop("early_stopped", True)], floor=False, versus_floor=LEVEL)
    assert not got.usable and got.reason == "at the floor (p=0.410)"
    assert got.badge == "at the floor" and got.above_floor is False
    below = Comparison(True, -3.0, 0.01, (-4.0, -2.0), "paired bootstrap")  # worse than it
    worse = usable.assess([stop("fitted")], floor=False, versus_floor=below)
    assert not worse.usable and worse.badge == "below the floor"
    assert worse.reason == "below the floor (p=0.010)"


def test_at_floor_reads_the_place_not_the_wording():
    """A converged row that did not beat the floor is at the floor whatever its reason says;
    a time-capped or unconverged one is not (it may not have had the chance)."""
    level = usable.assess([stop("early_stopped", True)], floor=False, versus_floor=LEVEL)
    capped = usable.assess([stop("time_cap")], floor=False, versus_floor=LEVEL)
    rows = {name: type("Row", (), {"usability": status})()
            for name, status in (("level", level), ("capped", capped),
                                 ("reworded", replace(level, reason="another wording")))}
    assert usable.at_floor(rows["level"]) and usable.at_floor(rows["reworded"])
    assert not usable.at_floor(rows["capped"])


def test_the_floor_is_never_usable():
    got = usable.assess([stop("fitted", True)], floor=True, versus_floor=None)
    assert not got.usable and got.reason == "is the floor" and got.badge == "floor"
    assert usable.is_floor("all_o") and usable.is_floor("anything", "floor")
    assert not usable.is_floor("tfidf_logreg", "tfidf")


def test_old_runs_without_stop_tags():
    neural = usable.run_stop("lstm_small", "lstm", {}, {})
    assert (neural.stop_reason, neural.converged) == ("unknown", False)
    classical = usable.run_stop("tfidf_logreg", "tfidf", {}, {})
    assert (classical.stop_reason, classical.converged) == ("fitted", True)


def test_classical_is_the_model_kind_tag_the_catalog_writes():
    """reports.usable also read a `zoo.model_kind` tag that nothing writes; the reader and the
    writer (zoo.model_catalog.ModelEntry.tags, logged with every cell) now share one name,
    zoo.tracking.schema.MODEL_KIND (tests/reports/test_schema.py checks every key read)."""
    from zoo.models import get_entry
    from zoo.tracking import schema

    written = get_entry("tfidf_logreg").tags()
    assert written[schema.MODEL_KIND] == schema.MODEL_KIND_CLASSICAL
    # A model the catalog no longer knows, of a family not on the classical list, logged
    # before stop reasons were: only its logged kind says it was fitted.
    assert usable.is_classical("retired", written, "retired_tfidf")
    old = usable.run_stop("retired_tfidf", "retired", written, {})
    assert (old.stop_reason, old.converged) == ("fitted", True)
    # The logged kind wins over the family.
    assert not usable.is_classical("tfidf", get_entry("lstm_small").tags(), "retired_lstm")


# ---- the leaderboard and the cards ----

def _section(runs):
    report = build_report(runs, [], "exp")
    (section,) = report.sections
    return report, section


def test_leaderboard_ranks_only_usable_rows_and_labels_the_rest():
    runs = [floor_run(quality=0.50, ci=0.02),
            make_run("cnn", quality=0.80, p50=1.0),
            make_run("bilstm", quality=0.90, p50=2.0, stop="time_cap"),  # best, but capped
            make_run("gru", quality=0.51, p50=0.5),  # within the floor's CI
            make_run("lstm", quality=0.85, p50=3.0, stop="epoch_cap", still_improving=True)]
    report, s = _section(runs)
    rows = {r.model: r for r in s.rows}
    assert rows["cnn"].rank == 1 and s.rows[0].model == "cnn"
    assert {m: rows[m].rank for m in ("bilstm", "gru", "lstm", "majority_class")} == \
        dict.fromkeys(("bilstm", "gru", "lstm", "majority_class"))
    assert rows["bilstm"].usability.badge == "time-capped"
    assert rows["gru"].usability.badge == "at the floor"
    assert rows["gru"].usability.reason.startswith("at the floor")
    assert rows["lstm"].usability.badge == "epoch cap, still improving"
    assert rows["majority_class"].usability.badge == "floor"
    recs = {r.alias: r for r in s.recs}
    assert recs["best-quality"].model == "cnn"
    assert recs["best-under-1ms"].model is None  # gru (0.5 ms) is at the floor
    assert "No model above the floor fits 1 ms p90" in recs["best-under-1ms"].evidence
    assert "the fastest usable one needs 1.30 ms" in recs["best-under-1ms"].evidence
    assert rows["cnn"].pareto is True and rows["gru"].pareto is None
    html = render_html(report, [], "sqlite:///x.db")
    assert "time-capped</small>" in html and "at the floor</small>" in html
    assert "epoch cap, still improving</small>" in html
    assert 'class="floor"' in html and "floor (majority_class)" in html  # chart line
    md_cells = summarize(report, [], Path("/tmp/r/index.html"))["cells"]
    capped = next(c for c in md_cells if c["model"] == "bilstm")
    assert capped["stop_reason"] == "time_cap" and capped["converged"] is False
    assert capped["usable"] is False and capped["reason"] == "time-capped"
    ok = next(c for c in md_cells if c["model"] == "cnn")
    assert ok["usable"] is True and ok["converged"] is True


def test_a_card_with_no_usable_candidate_says_so_and_picks_nothing():
    runs = [floor_run("ner", quality=0.0, dataset="wnut16", n=1900, ci=0.0),
            make_run("bilstm_small", task="ner", dataset="wnut16", n=1900, quality=0.30,
                     stop="time_cap"),
            make_run("lstm_small", task="ner", dataset="wnut16", n=1900, quality=0.20,
                     stop="epoch_cap", still_improving=True)]
    _, s = _section(runs)
    assert all(rec.model is None and rec.run_id is None for rec in s.recs)
    best = next(r for r in s.recs if r.alias == "best-quality")
    assert best.evidence.startswith("No converged model above the floor on wnut16")
    assert "bilstm_small time-capped" in best.evidence
    assert all(leaf.model is None for b in s.branches for leaf in b.leaves)
    assert s.branches[0].leaves[0].note == "no converged model above the floor"


def test_stop_counts_in_what_was_run():
    runs = [floor_run(quality=0.5), make_run("cnn", quality=0.8),
            make_run("gru", quality=0.8, stop="time_cap"),
            make_run("lstm", quality=0.8, stop="epoch_cap", still_improving=True)]
    report, _ = _section(runs)
    html = render_html(report, [], "sqlite:///x.db")
    text = re.sub(r"<[^>]+>", "", html)
    assert "2 converged, 1 time-capped, 1 epoch cap (1 with dev still improving)" in text


# ---- textbook verdicts ----

def _ok(r):
    return replace(r, usability=usable.assess([stop("early_stopped", True)], floor=False,
                                              versus_floor=ABOVE))


def _capped(r):
    return replace(r, usability=usable.assess([stop("time_cap")], floor=False,
                                              versus_floor=ABOVE))


def _level(r):
    return replace(r, usability=usable.assess([stop("early_stopped", True)], floor=False,
                                              versus_floor=LEVEL))


BIDI = "Bidirectional encoders beat unidirectional ones."


def _claims(full, small=None):
    small = small or full
    recs = recommend.recommendations(full, small, "accuracy")
    return textbook("sentiment", "accuracy", full, small, by_gap(1.0), [], recs)


def test_verdict_agrees_or_disagrees_when_its_models_are_usable():
    assert _claims([_ok(row("bilstm_small", 88.0, 3.0)),
                    _ok(row("lstm_small", 80.0, 2.0))])[BIDI].verdict == "agrees"
    assert _claims([_ok(row("bilstm_small", 78.0, 3.0)),
                    _ok(row("lstm_small", 80.0, 2.0))])[BIDI].verdict == "disagrees"
    level = _claims([_ok(row("bilstm_small", 80.5, 3.0)), _ok(row("lstm_small", 80.0, 2.0))])
    assert level[BIDI].label == "inconclusive: no significant difference"


def test_verdict_is_inconclusive_when_a_needed_model_is_time_capped_or_at_the_floor():
    capped = _claims([_capped(row("bilstm_small", 88.0, 3.0)),
                      _ok(row("lstm_small", 80.0, 2.0))])[BIDI]
    assert capped.verdict == "inconclusive"
    assert capped.label == "inconclusive: bilstm_small time-capped"
    assert "88.0 (1 seed, time-capped)" in capped.evidence
    floor = _claims([_ok(row("bilstm_small", 88.0, 3.0)),
                     _level(row("lstm_small", 80.0, 2.0))])[BIDI]
    assert floor.label.startswith("inconclusive: lstm_small at the floor (p=")



def test_a_pair_whose_two_rows_sit_at_the_floor_is_no_evidence_but_blocks_nothing():
    """A tip tried where neither arm learned (both at the floor, e.g. 479 tweets) says nothing
    about the tip: the pair is named and left out; the other pairs decide. One arm at the
    floor still leaves the verdict inconclusive (the tip may be why it stayed there)."""
    from reports import advice

    def pair(a, b, n):
        return replace(a, n_train=n), replace(b, n_train=n)

    idle = pair(_level(row("lstm_small~tip", 10.0, 1.0)), _level(row("lstm_small", 9.0, 1.0)), 479)
    moved = pair(_ok(row("lstm_small~tip", 60.0, 1.0)), _ok(row("lstm_small", 55.0, 1.0)), 1916)
    got = advice.pairs_claim("tip", [idle, moved], by_gap(1.0), "accuracy")
    assert got.verdict == "agrees"
    assert "not evidence: lstm_small~tip and lstm_small at 479 both at the floor" in got.evidence
    only_idle = advice.pairs_claim("tip", [idle], by_gap(1.0), "accuracy")
    assert only_idle.label == "inconclusive: every pair at the floor"
    one_sided = pair(_ok(row("lstm_small~tip", 30.0, 1.0)), idle[1], 479)
    blocked = advice.pairs_claim("tip", [one_sided, moved], by_gap(1.0), "accuracy")
    assert blocked.label == "inconclusive: lstm_small at the floor (p=0.410)"

def test_transformer_claim_needs_usable_models_for_its_crossover():
    full = [_capped(row("transformer_small", 90.0, 5.0, family="transformer", n=1000)),
            _ok(row("lstm_small", 85.0, 2.0, family="lstm", n=1000))]
    small = [replace(r, n_train=100) for r in full]
    recs = recommend.recommendations(full, small, "accuracy")
    got = textbook("sentiment", "accuracy", full, small, by_gap(1.0), [], recs)
    claim = got["Transformers need more data than LSTMs."]
    assert claim.label.startswith("inconclusive: no crossover among usable models")
    assert "transformer_small time-capped" in claim.reason


# ---- at a glance ----

def test_at_a_glance_rows_use_their_own_dataset_sizes(tmp_path):
    runs = [floor_run(quality=0.5, n=8000, size="1.0"), floor_run(quality=0.5, n=800, size="0.1"),
            make_run("cnn", quality=0.8, n=8000, size="1.0"),
            make_run("cnn", quality=0.7, n=800, size="0.1"),
            floor_run("ner", quality=0.0, dataset="wnut16", n=1900, size="1.0", ci=0.0),
            floor_run("ner", quality=0.0, dataset="wnut16", n=300, size="0.1", ci=0.0),
            make_run("bilstm_small", task="ner", dataset="wnut16", n=1900, size="1.0",
                     quality=0.40),
            make_run("bilstm_small", task="ner", dataset="wnut16", n=300, size="0.1",
                     quality=0.20)]
    report = build_report(runs, [], "exp")
    html = render_html(report, [], "sqlite:///x.db")
    glance = html[html.index('<table class="glance">'):]
    glance = glance[:glance.index("</table>")]
    head, body = glance.split("<tbody>")
    assert "8,000" not in head and "1,900" not in head  # headers hold for every task
    rows = {("ner" if "wnut16" in r else "sentiment"): r for r in body.split("<tr>")[1:]}
    assert "300–1,900 training examples" in rows["ner"]
    assert "at 1,900 ex." in rows["ner"] and "at 300 ex." in rows["ner"]
    assert "8,000" not in rows["ner"] and "800 " not in rows["ner"]
    assert "800–8,000 training examples" in rows["sentiment"]
    assert "at 8,000 ex." in rows["sentiment"]
    assert "span F1 40.0" in rows["ner"] and "accuracy 80.0" in rows["sentiment"]
    assert "1 seed" in rows["ner"]


@pytest.mark.parametrize("budget", [1.0])
def test_leaf_without_usable_pick_names_the_fastest_usable(budget):
    rows = [_ok(row("slow", 80.0, 12.0)), _capped(row("quick", 85.0, 0.3))]
    (branch,) = recommend.decision_branches({1000: rows}, "accuracy", budgets=(budget,))
    assert branch.leaves[0].model is None
    assert "the fastest usable one, slow, needs 12.0 ms" in branch.leaves[0].note


def test_one_shared_bilm_is_shown_once_with_its_cost_and_perplexity():
    shared = {"pretrain/perplexity": 197.0, "pretrain/perplexity_start": 19917.0,
              "pretrain/sentences": 144569.0, "pretrain/seconds": 95.0,
              "pretrain/epochs": 0.13, "pretrain/hit_time_budget": 1.0,
              "pretrain/corpus_datasets": 3.0}
    runs = [floor_run(quality=0.5), make_run("elmo_frozen_small", family="elmo", quality=0.7),
            make_run("elmo_frozen_small", family="elmo", quality=0.72, size="0.5")]
    for run in runs[1:]:
        run["metrics"].update(shared)
    report, _ = _section(runs)
    assert len(report.pretraining) == 1
    html = render_html(report, [], "sqlite:///x.db")
    text = re.sub(r"<[^>]+>", "", html)
    assert text.count("biLM pretraining") == 1
    assert ("pretrained once on 144,569 training sentences of 3 datasets (never dev or test), "
            "0.13 epochs in 95 s, stopped by its time budget; held-out perplexity "
            "19,917 → 197") in text


def test_a_model_significantly_worse_than_its_floor_reads_below_the_floor():
    below = Comparison(True, -0.5, 0.002, basis="paired bootstrap")
    u = usable.assess([usable.RunStop("early_stopped", True)], floor=False, versus_floor=below)
    assert not u.usable and u.reason == "below the floor (p=0.002)"
    assert u.badge == "below the floor"
    level = Comparison(False, 0.3, 0.4, basis="paired bootstrap")
    u = usable.assess([usable.RunStop("early_stopped", True)], floor=False, versus_floor=level)
    assert u.reason == "at the floor (p=0.400)" and u.badge == "at the floor"


def test_the_pretrained_tag_reaches_the_row_and_its_markers():
    from reports.ranking import aggregate
    from reports.runs import to_cells

    tagged = make_run("minilm_l6", tags={"model_size": "base", "pretrained": "ckpt-x"})
    untagged = make_run("minilm_l6")  # logged before the tag: the catalog entry's
    rows = aggregate(to_cells([tagged]), "sentiment")
    assert rows[0].pretrained == "ckpt-x" and "pretrained" in usable.markers(rows[0])
    assert to_cells([untagged])[0].pretrained == "all-MiniLM-L6-v2"
    assert to_cells([make_run("bilstm_small")])[0].pretrained == ""
