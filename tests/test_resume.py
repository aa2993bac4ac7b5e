"""Kill a running sweep with SIGKILL, start it again: finished work is not redone and no run
is left RUNNING in MLflow."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from zoo import tracking

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
ZOO = str(Path(sys.executable).parent / "zoo")
MATRIX = ["--datasets", "mr", "--models", "tiny_lstm,tiny_gru,tfidf_logreg", "--sizes",
          "400,800", "--seeds", "1", "--set", "epochs=2"]


def _cell_runs() -> list[dict]:
    try:
        return tracking.load_runs()
    except Exception:  # the store may not exist yet, or be mid-migration
        return []


def _kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL the sweep and everything it started (Prefect's ephemeral server runs in a
    session of its own, so killing the process group alone would orphan it)."""
    children = psutil.Process(proc.pid).children(recursive=True)
    os.killpg(proc.pid, signal.SIGKILL)
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    proc.wait()


def test_sigkill_then_resume(bench_home, tmp_path):
    env = dict(os.environ)
    log = tmp_path / "first.log"
    proc = subprocess.Popen([ZOO, "bench", *MATRIX], env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline and proc.poll() is None:
            trained = [r for r in _cell_runs() if r["tags"].get("zoo.stage") == "trained"]
            if len(trained) >= 2:
                break
            time.sleep(0.5)
        assert proc.poll() is None, "the sweep ended before it could be killed:\n" + \
            log.read_text()[-3000:]
        _kill_tree(proc)
    finally:
        if proc.poll() is None:
            _kill_tree(proc)
    before = {r["run_id"]: r for r in _cell_runs()}
    done_before = {rid for rid, r in before.items()
                   if r["tags"].get("zoo.stage") in ("trained", "measured")}
    assert len(done_before) >= 2

    second = subprocess.run([ZOO, "bench", *MATRIX], env=env, capture_output=True, text=True,
                            timeout=500)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    after = _cell_runs()
    finished = [r for r in after if r["status"] == "FINISHED"]
    # 3 named models + the sentiment floor (majority_class), at 2 sizes.
    assert len(finished) == 8, [(r["tags"]["model"], r["status"]) for r in after]
    assert not [r for r in after if r["status"] == "RUNNING"]
    # Every cell that had finished training before the kill kept its run: not retrained.
    assert done_before <= {r["run_id"] for r in finished}
    # A cell killed mid-training is closed as KILLED and redone once; nothing is duplicated.
    assert len(after) - len(finished) == len([r for r in after if r["status"] == "KILLED"])
    assert len({r["tags"]["zoo.cell_key"] for r in finished}) == 8
    parents = tracking.load_parent_runs()
    assert [p["status"] for p in parents].count("RUNNING") == 0
    assert "KILLED" in [p["status"] for p in parents]
