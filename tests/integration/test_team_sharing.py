"""Three team members share one MLflow server, each `zoo bench` from their own ZOO_HOME
(so the store lock never meets), over overlapping matrices started together (issue 28): every
cell is trained exactly once, every run ends FINISHED, no cell has two runs, and the three
reports show the same numbers from the same runs. The MLflow server's request latency during
the test is recorded (printed, and written under ZOO_ARTIFACTS_DIR when set)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from teamkit import MLFLOW_RETRY_ENV, REPO, dump, localstack

# slow: three real sweeps against a real server take about 150 s on 2 cores, a sixth of the
# default run's budget; `make test-slow` (or `make test-integration`) runs it.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Overlapping, not equal: tiny_lstm is in all three, tiny_gru and tiny_cnn in two each, and
# the floor (majority_class) in every sweep.
MATRICES = {"ana": "tiny_gru,tiny_lstm", "ben": "tiny_lstm,tiny_cnn",
            "chen": "tiny_gru,tiny_lstm,tiny_cnn"}
COMMON = ["--datasets", "mr", "--sizes", "200", "--seeds", "1,2", "--parallel", "1",
          "--quiet", "--set", "epochs=3"]


class LatencyProbe:
    """One light request to the MLflow server every 0.25 s, timed, until stopped."""

    def __init__(self, uri: str, experiment: str):
        query = urllib.parse.urlencode({"experiment_name": experiment})
        self.url = f"{uri}/api/2.0/mlflow/experiments/get-by-name?{query}"
        self.ms: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            t0 = time.perf_counter()
            try:
                localstack.http_json("GET", self.url)
            except Exception:  # noqa: BLE001 - 404 before the experiment exists still times it
                pass
            self.ms.append((time.perf_counter() - t0) * 1000)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _sweep(name: str, tmp: Path, cache: Path, team, experiment: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ZOO_"))}
    env.update(MLFLOW_RETRY_ENV, ZOO_HOME=str(tmp / name), ZOO_DATA_CACHE=str(cache),
               MLFLOW_TRACKING_URI=team.mlflow, PYTHONUNBUFFERED="1")
    log = open(tmp / f"{name}.log", "w")  # noqa: SIM115 - closed when the process ends
    return subprocess.Popen(
        [sys.executable, "-m", "zoo.cli", "bench", "--models", MATRICES[name], *COMMON,
         "--experiment", experiment, "--out", str(tmp / f"report-{name}")],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)


def test_three_sweeps_share_one_server_and_train_each_cell_once(healthy, experiment,
                                                                tmp_path, shared_data_cache):
    team = healthy
    started = time.monotonic()
    with LatencyProbe(team.mlflow, experiment) as probe:
        procs = {}
        for name in MATRICES:
            procs[name] = _sweep(name, tmp_path, shared_data_cache, team, experiment)
            time.sleep(1.0)  # a person starts a moment after another
        for name, proc in procs.items():
            assert proc.wait(timeout=900) == 0, (tmp_path / f"{name}.log").read_text()[-4000:]
    wall = time.monotonic() - started
    logs = {name: (tmp_path / f"{name}.log").read_text() for name in MATRICES}

    runs = team.runs(experiment)  # active runs only: withdrawn claims are deleted
    cells = [r for r in runs if r["tags"].get("zoo.kind") == "cell"]
    per_key = Counter(r["tags"]["zoo.cell_key"] for r in cells)
    assert all(n == 1 for n in per_key.values()), dump([k for k, n in per_key.items() if n > 1])
    assert len(per_key) == 3 * 2 + 2  # three tiny models and the floor, two seeds each
    assert all(r["status"] == "FINISHED" for r in cells), dump(cells)
    # Who trained what: each cell run hangs under the sweep that trained it.
    trained_by = Counter(r["tags"]["mlflow.parentRunId"] for r in cells)
    assert sum(trained_by.values()) == 8
    # Reused: found FINISHED at once, or waited for ("... (trained by another sweep)").
    reused = sum(log.count(": cached, ") for log in logs.values())
    planned = sum(2 * (len(m.split(",")) + 1) for m in MATRICES.values())
    assert reused == planned - 8, {n: log[-1500:] for n, log in logs.items()}
    for log in logs.values():  # one UI link per sweep, none of MLflow's per-run lines
        assert log.count("MLflow experiment: ") == 1 and "View run" not in log

    # The three reports: every row they share comes from the same run with the same score.
    seen: dict[tuple, tuple] = {}
    for name in MATRICES:
        summary = json.loads((tmp_path / f"report-{name}" / "summary.json").read_text())
        for cell in summary["cells"]:
            row = (cell["model"], cell["train_examples"], cell["seed"])
            value = cell["run_id"]  # the same run: the same numbers
            assert seen.setdefault(row, value) == value, (name, row, seen[row], value)

    p50, p99 = np.percentile(probe.ms, [50, 99])
    figures = {"sweeps": len(MATRICES), "cells": len(per_key), "cell_runs": len(cells),
               "trained_per_sweep": sorted(trained_by.values(), reverse=True),
               "reused": reused, "wall_s": round(wall, 1), "mlflow_requests": len(probe.ms),
               "mlflow_p50_ms": round(float(p50), 1), "mlflow_p99_ms": round(float(p99), 1)}
    print(f"\n[team sharing] {json.dumps(figures)}")
    if out := os.environ.get("ZOO_ARTIFACTS_DIR"):
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "team_sharing.json").write_text(json.dumps(figures, indent=1))
