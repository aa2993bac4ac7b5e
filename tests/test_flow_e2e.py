"""The whole slice, for real: the Prefect flow on the MR dataset with tiny models, logged to
MLflow, then the report rendered from MLflow alone; a second run reuses finished cells."""
from __future__ import annotations

import os
import re
import time

import pytest

from zoo import tracking

pytestmark = pytest.mark.timeout(600)

MATRIX = dict(profile="quick", datasets=["mr"], models=["tiny_lstm", "tfidf_logreg"],
              train_sizes=[300], seeds=[1], overrides={"epochs": 1}, latency_calls=20)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, shared_data_cache):
    from flows.benchmark import benchmark

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZOO_HOME", str(tmp_path_factory.mktemp("e2e-home")))
        mp.setenv("ZOO_DATA_CACHE", str(shared_data_cache))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        yield benchmark(**MATRIX)


def test_benchmark_flow_logs_every_cell_and_renders_report(first_run):
    # The two named models plus the sentiment floor, which every run measures.
    assert first_run["counts"] == {"measured": 3}
    runs = {r["tags"]["model"]: r for r in tracking.load_runs()}
    assert set(runs) == {"tiny_lstm", "tfidf_logreg", "majority_class"}
    for run in runs.values():
        assert run["status"] == "FINISHED"
        m, tags = run["metrics"], run["tags"]
        assert 0.0 <= m["test/accuracy_ci_low"] <= m["test/accuracy"] <= m["test/accuracy_ci_high"]
        assert 0 < m["latency/p50_ms"] <= m["latency/p90_ms"] <= m["latency/p99_ms"]
        assert m["throughput/examples_per_s"] > 0 and m["size/bytes"] > 0
        assert (m["size/params"] == 0) == (tags["family"] == "floor")  # floors learn nothing
        assert m["train/examples"] == 300
        for key in ("dataset", "task", "seed", "data_fingerprint", "config_hash", "git_sha",
                    "torch_version", "threads", "cpu", "protocol"):
            assert tags.get(key), f"tag {key} missing"
    assert runs["tiny_lstm"]["params"]["train.epochs"] == "1"
    # The cell's real cost, although its run stays open until it is measured
    for run in runs.values():
        assert run["tags"]["train_began"] <= run["tags"]["train_ended"]
        assert run["tags"]["train_ended"].endswith(" UTC")
        assert run["metrics"]["train/wall_seconds"] >= run["metrics"]["train/seconds"] * 0.9
    # One column compares across tasks in the MLflow UI; the tag names its metric.
    for run in runs.values():
        assert run["metrics"]["test/primary"] == run["metrics"]["test/accuracy"]
        assert run["tags"]["primary_metric"] == "accuracy"
    # The parent run carries the sweep's summary (the experiment page shows it collapsed).
    (parent,) = tracking.load_parent_runs()
    summary = tracking.client().get_run(parent["run_id"]).data
    assert summary.metrics["cells/measured"] == 3 and summary.metrics["cells/total"] == 3
    assert summary.metrics["sweep/wall_seconds"] > 0 and summary.params["cells"] == "3"
    # Cells train in zoo.sweep.workers' worker processes, not in the flow's own process.
    trainers = {int(r["tags"]["train_pid"]) for r in runs.values()}
    assert os.getpid() not in trainers and all(pid > 0 for pid in trainers)
    html = open(first_run["report"], encoding="utf-8").read()
    assert "tiny_lstm" in html and "tfidf_logreg" in html
    assert re.search(r"<table class=\"leaderboard\"", html)


def test_second_run_reuses_finished_cells(first_run):
    from flows.benchmark import benchmark

    again = benchmark(**MATRIX)
    assert again["counts"] == {"cached": 3}
    assert len(tracking.load_runs()) == 3  # no duplicate runs


def test_flow_run_page_has_each_steps_line(first_run):
    """`zoo bench` keeps Prefect's INFO lines off the terminal, not out of the flow run's log
    (its page in the Prefect UI said "This run didn't generate logs")."""
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + 30  # logs reach the API in batches, every few seconds
    while True:
        with get_client(sync_client=True) as client:
            messages = [log.message for log in client.read_logs(limit=200)]
        if any(m.startswith("measured tfidf_logreg") for m in messages) or \
                time.monotonic() > deadline:
            break
        time.sleep(1)
    assert any(m.startswith("trained tiny_lstm") and "test accuracy" in m for m in messages)
    assert any(m.startswith("measured tfidf_logreg") for m in messages)


def test_dry_run_counts_the_finished_cells_and_changes_nothing(first_run):
    """`zoo bench --dry-run` on the same store, as a user runs it: the first run's three
    cells are finished, the same models at another size are not; nothing is added."""
    import subprocess
    import sys
    from pathlib import Path

    home = Path(os.environ["ZOO_HOME"])
    files = sorted(p.relative_to(home) for p in home.rglob("*"))
    runs, parents = len(tracking.load_runs()), len(tracking.load_parent_runs())
    done = subprocess.run(
        [sys.executable, "-m", "zoo.cli", "bench", "--dry-run", "--datasets", "mr", "--models",
         "tiny_lstm,tfidf_logreg", "--sizes", "300,600", "--seeds", "1", "--set", "epochs=1"],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "  mr (sentiment): 6 cells, 3 finished" in lines
    assert "Finished in the store ('nlp-zoo'): 3 of 6; to run: 3" in lines
    assert len(tracking.load_runs()) == runs and len(tracking.load_parent_runs()) == parents
    assert sorted(p.relative_to(home) for p in home.rglob("*")) == files
