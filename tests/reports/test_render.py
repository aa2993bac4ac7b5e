"""The report rendered from a real MLflow store holding hand-made runs (no training)."""
from __future__ import annotations

import json
import re

import pytest
from jinja2 import StrictUndefined

from reports import artifacts
from reports.markdown import code, escape_md
from reports.render import html_environment, render_report
from tests.reports.factory import ENV_A, encoder_runs, log_runs, make_run

HOSTILE = '<script>alert("x")</script>"\'&'


@pytest.fixture(scope="module")
def rendered(rich_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZOO_HOME", str(rich_store))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.setenv("ZOO_MLFLOW_UI_URL", "http://mlflow.example:5000/")
        path = render_report("nlp-zoo", out)
    return path, path.read_text(), (out / "report.md").read_text(), \
        json.loads((out / "summary.json").read_text())


def test_templates_are_autoescaped_and_strict():
    env = html_environment()
    assert env.undefined is StrictUndefined
    assert env.autoescape("report.html.j2") is True


def test_outputs_and_sections(rendered):
    path, html, md, _summary = rendered
    assert path.name == "index.html"
    assert html.count('<table class="leaderboard">') == 3  # sentiment + NER in 2 environments
    assert html.count("<svg") >= 4  # Pareto charts + the sentiment learning curves
    for heading in ("At a glance", "What was run", "Accuracy vs latency", "Data size",
                    "Recommendations", "Quantization", "Measurements vs textbook advice",
                    "Decision tree", "What changed", "Failed and missing cells",
                    "Use a recommended model", "Method"):
        assert heading in html, heading
        assert heading.split(" ")[0] in md
    assert "Licence:" in md and "Pang" in html  # dataset card of mr from the catalog
    assert "Test CPU 3000" in html and "abc123def456" in html


def test_ties_use_the_paired_bootstrap_where_stats_were_logged(rendered):
    _, html, _, _ = rendered
    sentiment = html[html.index('id="sentiment-mr'):]
    assert "paired bootstrap over test examples" in sentiment[:3000]
    ner = html[html.index('id="ner-wnut16'):html.index('id="sentiment-mr')]
    assert "did not log per-example predictions" in ner  # the fallback is stated


def test_environments_regressions_failures_and_links(rendered):
    _, html, md, summary = rendered
    assert "measured in 2 different environments" in html
    assert "an older environment" in html
    (reg,) = summary["regressions"]
    assert reg["model"] == "lstm_small" and "quality drop" in reg["flags"]
    assert "latency +30 %" in reg["flags"] and "code abc123def456" in reg["what_changed"]
    assert "RuntimeError: boom" in html and "RuntimeError: boom" in md
    assert re.search(r'href="http://mlflow\.example:5000/#/experiments/\d+/runs/[0-9a-f]{32}'
                     r'\?workflowType=machine_learning"',
                     html)
    winners = {(w["task"], w["alias"]): w["model"] for w in summary["winners"]}
    assert winners[("sentiment", "best-under-1ms")] == "tfidf_logreg"
    assert summary["smoke"] is False and summary["failed"] == 1


def test_hostile_model_names_cannot_script_or_break_the_page(rendered):
    _, html, md, _ = rendered
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(" in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    # In Markdown the name only ever appears inside code spans, where nothing is HTML.
    outside_code = re.sub(r"(`+)(?:(?!\1).)+?\1", "", md)
    assert "<script" not in outside_code and "alert(" not in outside_code


def test_markdown_escaping():
    assert escape_md("a|b <x> *y*\nz") == "a\\|b \\<x\\> \\*y\\* z"
    assert escape_md("lstm_small") == "lstm_small"
    assert code("a`b|c") == "``a`b\\|c``"


def test_smoke_profile_and_empty_experiment(fresh_store, tmp_path):
    empty = render_report("nothing-here", tmp_path / "empty").read_text()
    assert "No results yet" in empty
    log_runs([make_run("tfidf_logreg", profile="quick", env=ENV_A)], "smoke", profile="quick")
    html = render_report("smoke", tmp_path / "smoke").read_text()
    assert 'id="smoke-warning"' in html and "Smoke-level numbers" in html
    assert "Only one training-set size" in html  # single size: no learning curves
    assert "Only one model with a quality value" in html


def test_prefect_summary_markdown_is_escaped(rendered):
    path, _, _, _summary = rendered
    text = artifacts.summary_markdown(artifacts.load_summary(path))
    assert "<script" not in text and "tfidf_logreg" in text and "quality drop" in text
    assert artifacts.artifact_key("nlp-zoo", "Summary") == "zoo-nlp-zoo-summary"


def test_a_local_store_links_runs_to_the_address_zoo_ui_serves(rich_store, tmp_path,
                                                               monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(rich_store))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("ZOO_MLFLOW_UI_URL", raising=False)
    html = render_report("nlp-zoo", tmp_path).read_text()
    assert re.search(r'href="http://127\.0\.0\.1:5000/#/experiments/\d+/runs/[0-9a-f]{32}'
                     r'\?workflowType=machine_learning"',
                     html)
    assert "(start it with <code>zoo ui</code>)" in html


def test_pretrained_encoders_their_verdicts_and_the_layer_mix(fresh_store, tmp_path):
    """Frozen and fine-tuned encoders rank and get picked like any usable model; the guide
    tests the pretrained-encoder advice per dataset and the layer mix across tasks, and marks
    the ELMo rows whose biLM stopped on its step budget."""
    runs, stats = encoder_runs(bilm_converged=False)
    log_runs(runs, "enc", stats, profile="quick")
    path = render_report("enc", tmp_path)
    html, md = path.read_text(), (tmp_path / "report.md").read_text()
    summary = json.loads((tmp_path / "summary.json").read_text())
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    # Rankings, "At a glance" and recommendations include the pretrained models.
    winners = {(w["task"], w["alias"]): w["model"] for w in summary["winners"]}
    assert winners[("sentiment", "best-quality")] == "minilm_l6"
    assert winners[("ner", "best-small-data")] == "minilm_frozen"
    glance = html[html.index('<table class="glance">'):]
    assert "<code>minilm_<wbr>l6</code>" in glance[:glance.index("</table>")]
    # The advice table: claim 5 per dataset (MiniLM agrees; the ELMo pair rests on an
    # unconverged biLM), claims 4 and 8, each row with its effect size and CI.
    rows = _claim_rows(html)
    assert ("agrees", "Sentiment · mr", "minilm_frozen − minilm_l6 at 800") in {
        (v, where, eff.split(":")[0]) for n, v, where, eff in rows if n == 5}
    assert ("inconclusive: biLM not converged", "Sentiment · mr") in {
        (v, where) for n, v, where, eff in rows if n == 5 and "elmo" in eff}
    assert re.search(r"minilm_frozen − minilm_l6 at 800: \+\d+\.\d \(95% CI \+", text)
    assert {v for n, v, _, _ in rows if n == 4} >= {"agrees", "inconclusive: biLM not converged"}
    ner = [eff for n, v, where, eff in rows if n == 5 and where == "NER · wnut16"]
    assert all("no CI of the difference" in eff for eff in ner)  # no stats logged for NER
    assert sorted({n for n, *_ in rows}) == list(range(1, 23))  # every claim has its row
    # The marker, the biLM record and the cross-task section with its chart and verdicts.
    assert html.count('<small class="mark">biLM not converged</small>') >= 4
    assert "300 steps, 0.13 epochs in 60 s" in text and "Not converged" in text
    assert "about 39.7 on the 1B Word Benchmark" in text
    layers = html[html.index('<section id="layers">'):html.index('<section id="tree">')]
    assert '<a href="#layers">Layer mix</a>' in html
    assert layers.count("<svg") == 2  # minilm_frozen and elmo_frozen_small, not fine-tuned
    assert "Learned layer weights of minilm_frozen" in layers and "NER (4 runs)" in layers
    assert "elmo_finetune_small" not in layers
    assert [(v, eff.split(":")[0]) for n, v, where, eff in rows if n == 8] == [
        ("agrees", "minilm_frozen"), ("inconclusive: biLM not converged", "elmo_frozen_small")]
    assert re.search(r"minilm_frozen: mean layer on NER 0\.\d\d \(4 runs\) vs sentiment "
                     r"0\.\d\d \(4 runs\)", text)
    assert "## Layer mix across tasks" in md and "| Layer | NER (4 runs) | Sentiment (4 runs) |" \
        in md
    assert re.search(r"\| 8 \| NER draws on the lower biLM layers.* \| across tasks · minilm_frozen \| "
                     r"minilm_frozen: NER − sentiment mean layer: −0\.\d\d \(95% CI [^|]+\| "
                     r"\*\*agrees\*\* \|", md)
    assert "[biLM not converged]" in md and "39.7 on the 1B Word Benchmark" in md


def _claim_rows(html: str) -> list[tuple[int, str, str, str]]:
    """(claim number, verdict label, measured in, effect sizes) of each advice-table row."""
    table = html[html.index('<section id="claims">'):]
    table = table[:table.index("</section>")]
    out = []
    for tr in re.findall(r"<tr class=[^>]+>(.*?)</tr>", table, re.DOTALL):
        cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split())
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.DOTALL)]
        out.append((int(cells[0]), cells[6], cells[4], cells[5]))
    return out


def test_latency_measured_under_load_is_flagged(fresh_store, tmp_path):
    """A p90 timed beside other work (zoo.measure.MachineLoadMeter) carries a mark in the
    leaderboard, in HTML and Markdown; one measured alone does not (issue 28)."""
    busy = make_run("bilstm_small", p50=4.0)
    busy["metrics"].update({"latency/under_load": 1.0, "latency/others_busy_cores": 1.6})
    alone = make_run("tfidf_logreg", p50=0.5)
    alone["metrics"].update({"latency/under_load": 0.0, "latency/others_busy_cores": 0.1})
    log_runs([busy, alone, make_run("majority_class", quality=0.5)], "loaded")
    html = render_report("loaded", tmp_path / "r").read_text()
    md = (tmp_path / "r" / "report.md").read_text()
    assert html.count(">under load</small>") == 1 and md.count("[under load]") == 1
    flagged = [line for line in md.splitlines() if "[under load]" in line]
    assert flagged[0].startswith("| 1= | `bilstm_small`")  # the slow one, not tfidf_logreg


def test_long_model_names_wrap_after_underscores_and_stay_escaped():
    from reports.render import breakable

    assert str(breakable("lexical_translation")) == "lexical_<wbr>translation"
    assert str(breakable("<b>_x")) == "&lt;b&gt;_<wbr>x"  # autoescaping survives the filter
