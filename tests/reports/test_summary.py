"""summary.json: each winner's numbers are the ones its scenario rests on."""
from __future__ import annotations

from pathlib import Path

from reports.build import build_report
from reports.summary import summarize
from tests.reports.factory import make_run


def test_a_small_data_pick_reports_its_numbers_at_the_small_size():
    runs = [make_run("cnn", n=8000, size="1.0", quality=0.82, p50=1.0),
            make_run("cnn", n=800, size="0.1", quality=0.61, p50=1.0),
            make_run("tfidf", n=8000, size="1.0", quality=0.70, p50=0.5),
            make_run("tfidf", n=800, size="0.1", quality=0.66, p50=0.5)]
    report = build_report(runs, [], "exp")
    winners = summarize(report, [], Path("/tmp/r/index.html"))["winners"]
    by_alias = {w["alias"]: w for w in winners}
    small = by_alias["best-small-data"]
    assert (small["model"], small["train_examples"], small["quality"]) == ("tfidf", 800, 66.0)
    best = by_alias["best-quality"]
    assert (best["model"], best["quality"]) == ("cnn", 82.0)
