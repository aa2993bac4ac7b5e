"""The report summary published as Prefect artifacts (markdown, tables, link)."""
from __future__ import annotations

import json

import pytest

from reports import artifacts

SUMMARY = {
    "experiment": "nlp-zoo", "generated": "2026-01-01 00:00 UTC", "smoke": True,
    "profiles": ["quick"], "report_html": "/r/index.html", "report_md": "/r/report.md",
    "report_url": "file:///r/index.html", "warnings": ["two <environments>"],
    "winners": [{"task": "sentiment", "dataset": "mr", "environment": "cpu",
                 "scenario": "Best quality, no constraint", "alias": "best-quality",
                 "model": "<b>bold|model</b>", "metric": "accuracy", "quality": 81.25,
                 "p90_ms": 2.5, "train_examples": 8000, "evidence": "..."}],
    "regressions": [{"task": "ner", "dataset": "wnut16", "model": "lstm_small",
                     "train_size": "1.0", "seed": "1", "flags": "quality drop",
                     "quality": "30.0 → 21.0", "p50_ms": "2.50 → 3.25",
                     "what_changed": "code a → b", "run_id": "r1"}],
    "changes_compared": 4, "failed": 1, "running": 0, "missing": 2, "registered": []}


@pytest.fixture
def report_dir(tmp_path):
    (tmp_path / "summary.json").write_text(json.dumps(SUMMARY))
    return tmp_path


def test_publishes_summary_tables_and_link(report_dir, monkeypatch):
    import prefect.artifacts as pa

    calls = []
    for name in ("create_markdown_artifact", "create_table_artifact", "create_link_artifact"):
        monkeypatch.setattr(pa, name, lambda *a, _n=name, **kw: calls.append((_n, kw)) or _n)
    ids = artifacts.publish_prefect_artifacts(report_dir / "index.html")
    kinds = {kw["key"]: (name, kw) for name, kw in calls}
    assert set(kinds) == {"zoo-nlp-zoo-summary", "zoo-nlp-zoo-winners",
                          "zoo-nlp-zoo-regressions", "zoo-nlp-zoo-report"}
    assert len(ids) == 4
    markdown = kinds["zoo-nlp-zoo-summary"][1]["markdown"]
    assert "**Smoke-level numbers**" in markdown and "quality drop" in markdown
    assert "<b>" not in markdown.replace("`<b>bold\\|model</b>`", "")
    assert kinds["zoo-nlp-zoo-winners"][1]["table"][0]["model"] == "<b>bold|model</b>"
    assert kinds["zoo-nlp-zoo-report"][1]["link"] == "file:///r/index.html"


@pytest.mark.slow
def test_artifacts_appear_on_the_flow_run(report_dir):
    """Against Prefect's temporary server (about 20 s to start here, hence slow)."""
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    @flow
    def publish() -> list[str]:
        return artifacts.publish_prefect_artifacts(report_dir / "index.html")

    publish()
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(like_="zoo-nlp-zoo")))
    assert {a.key for a in found} >= {"zoo-nlp-zoo-summary", "zoo-nlp-zoo-winners",
                                      "zoo-nlp-zoo-report"}
    assert all(a.flow_run_id is not None for a in found)
