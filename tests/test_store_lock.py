"""One sweep per store (zoo.store_lock): a second `zoo bench` on the same ZOO_HOME refuses
at once with one line naming the holder, and never trains or measures the first's cells;
a flow started otherwise waits for the holder, saying for whom; a killed holder frees it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from zoo import store_lock

ROOT = Path(__file__).resolve().parents[1]
HOLD = ("import sys, time; from zoo import store_lock\n"
        "with store_lock.holding('a test holder', wait=False):\n"
        "    print('held', flush=True); time.sleep(float(sys.argv[1]))")


def _env(home: Path, cache: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI",
                                                             "PREFECT_API_URL")}
    return {**env, "ZOO_HOME": str(home), "ZOO_DATA_CACHE": str(cache),
            "PYTHONPATH": str(ROOT)}


def _holder(env: dict, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(seconds)], env=env,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_bench_on_one_store_refuses_and_the_first_completes(tmp_path,
                                                                    shared_data_cache):
    env = _env(tmp_path / "home", shared_data_cache)
    command = [sys.executable, "-m", "zoo.cli", "bench", "--models", "tfidf_logreg",
               "--datasets", "mr", "--sizes", "300", "--seeds", "1"]
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    note = tmp_path / "home" / "bench.holder"
    deadline = time.monotonic() + 120
    while not note.exists():
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.2)
    started = time.monotonic()
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 2, second.stderr
    assert f"another benchmark uses {tmp_path / 'home'} (pid {first.pid}, zoo bench " \
           "--profile quick" in second.stderr and "Traceback" not in second.stderr
    assert time.monotonic() - started < 20
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err[-2000:]
    assert "cells: {" in out and not note.exists()
    # Without a terminal, one line per finished step as it happens (zoo.progress)
    assert "] trained tfidf_logreg/mr/n=300/seed=1: test accuracy 0." in out, out
    assert "] measured majority_class/mr/n=300/seed=1" in out, out
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]  # free again: all cells cached


def test_a_flow_waits_for_the_holder_and_a_killed_holder_frees_the_store(
        tmp_path, shared_data_cache, monkeypatch):
    env = _env(tmp_path / "home", shared_data_cache)
    monkeypatch.setenv("ZOO_HOME", env["ZOO_HOME"])
    monkeypatch.setattr(store_lock, "WAIT_LOG_SECONDS", 0.5)
    holder = _holder(env, 2.0)
    said = []
    started = time.monotonic()
    with store_lock.holding("a waiting flow", wait=True, log=said.append):
        waited = time.monotonic() - started
    holder.wait()
    assert 1.0 < waited < 15.0
    assert said and f"held by pid {holder.pid}, a test holder" in said[0]
    killed = _holder(env, 60.0)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    with store_lock.holding("after a kill", wait=False):  # the OS released its lock
        pass


CREATE = ("import sys, time\nfrom zoo import tracking\n"
          "while time.time() < float(sys.argv[1]): time.sleep(0.001)\n"
          "tracking.client().search_experiments(max_results=1); print('ok')")


def test_processes_meeting_on_a_fresh_store_all_open_it(tmp_path):
    """MLflow creates a SQLite store's tables unguarded; 4 processes starting together on a
    fresh store failed 4 of 4 ("duplicate column name: step") before the creation lock."""
    env = _env(tmp_path / "home", tmp_path / "cache")
    start = str(time.time() + 8)  # every process imported mlflow before the start line
    procs = [subprocess.Popen([sys.executable, "-c", CREATE, start], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err[-500:] for _, err in outs]
    assert [out.strip() for out, _ in outs] == ["ok"] * 4
    assert not any("Creating initial MLflow database tables" in err for _, err in outs)
