"""Faults the team stack must survive, each with real processes.

Matrix: two tiny models trained one after the other (tiny_gru, then tiny_lstm), beside the
majority-class floor every run plans. Each fault hits
while tiny_lstm trains, when tiny_gru is already trained (its run RUNNING at stage `trained`,
metrics logged, latency not yet measured). The re-run must reuse tiny_gru's run and metrics
and train tiny_lstm again.
"""
from __future__ import annotations

import os
import signal
import time

import pytest
from teamkit import TINY, dump

pytestmark = pytest.mark.integration

FIRST, SECOND = "tiny_gru", "tiny_lstm"
FLOOR = "majority_class"  # every run plans its task's trivial floor beside the requested models
# parallel=1: the cells train one after the other, so each fault hits a known moment.
MATRIX = {**TINY, "models": [FIRST, SECOND], "overrides": {"epochs": 2}, "parallel": 1}


def _params(experiment: str, team) -> dict:
    return {**MATRIX, "experiment": experiment,
            "report_dir": str(team.stack.root / f"report-{experiment}")}


def _wait_mid_second_cell(team, experiment: str) -> dict:
    """Block until FIRST is trained and logged and SECOND is training; returns FIRST's run.
    SECOND starts training as soon as FIRST's training ends, while FIRST is still being
    logged (its `trained` stage comes last), so wait for both."""
    team.wait_for_training(experiment, SECOND)
    deadline = time.monotonic() + 60
    while True:
        first = [c for c in team.cells(experiment) if c["tags"]["model"] == FIRST]
        if len(first) == 1 and first[0]["tags"].get("zoo.stage") == "trained":
            break
        assert time.monotonic() < deadline, dump(first)
        time.sleep(0.2)
    team.wait_for_training(experiment, SECOND, timeout=5)  # and SECOND still trains
    return first[0]


def _check_resumed(team, experiment: str, first_before: dict) -> None:
    """After the re-run: FIRST kept its run and metrics, SECOND has exactly one FINISHED run,
    nothing is left RUNNING, the interrupted parent run is closed."""
    runs = team.runs(experiment)
    cells = [r for r in runs if r["tags"].get("zoo.kind") == "cell"]
    first = [c for c in cells if c["tags"]["model"] == FIRST]
    assert [c["id"] for c in first] == [first_before["id"]], "finished cell was retrained"
    assert first[0]["status"] == "FINISHED" and "latency/p50_ms" in first[0]["metrics"]
    for key, value in first_before["metrics"].items():  # no metric of a trained cell lost
        assert first[0]["metrics"][key] == pytest.approx(value), key
    second = [c for c in cells if c["tags"]["model"] == SECOND]
    assert [c["status"] for c in second].count("FINISHED") == 1, dump(second)
    assert "test/accuracy" in next(c for c in second if c["status"] == "FINISHED")["metrics"]
    assert all(r["status"] != "RUNNING" for r in runs), dump(runs)
    parents = [r for r in runs if r["tags"].get("zoo.kind") == "benchmark"]
    assert "FINISHED" in {p["status"] for p in parents}, dump(parents)


def _rerun(team, experiment: str) -> None:
    run_id = team.run("benchmark/nightly-quick", _params(experiment, team))
    state = team.wait(run_id, timeout=420)
    assert state["type"] == "COMPLETED", f"re-run: {state}\n{team.logs(run_id)[-3000:]}"


def test_mlflow_brief_outage_is_retried(healthy, experiment):
    """MLflow down while a cell logs: the client retries with backoff and the sweep ends
    COMPLETED with every metric."""
    team = healthy
    worker = team.stack.services["prefect-worker"]
    retries_before = worker.since_start().count("Retrying")
    # MLflow's client here retries 7 times, 2, 4, ... 64 s apart: longer than the outage.
    run_id = team.run("benchmark/nightly-quick", _params(experiment, team),
                      env={"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "7"})
    team.wait_for_training(experiment, SECOND)
    mlflow = team.stack.services["mlflow-server"]
    down = time.monotonic()
    mlflow.stop()
    try:  # keep it down until a call from the sweep has failed and is being retried
        deadline = time.monotonic() + 180
        while worker.since_start().count("Retrying") == retries_before:
            assert time.monotonic() < deadline, "no MLflow call during the outage"
            time.sleep(0.5)
    finally:
        mlflow.start().wait_ready(timeout=180)
    print(f"[MLflow unreachable for {time.monotonic() - down:.1f} s]")
    state = team.wait(run_id, timeout=420)
    assert state["type"] == "COMPLETED", f"{state}\n{team.logs(run_id)[-3000:]}"
    cells = team.cells(experiment)
    assert sorted(c["tags"]["model"] for c in cells) == [FLOOR, FIRST, SECOND], dump(cells)
    assert all(c["status"] == "FINISHED" for c in cells), dump(cells)
    assert all("latency/p50_ms" in c["metrics"] and "test/accuracy" in c["metrics"]
               for c in cells)


# Slow: waits out MLflow's retries (about 2 minutes); the brief outage stays in `make test`.
@pytest.mark.slow
def test_mlflow_long_outage_fails_clearly_then_resumes(healthy, experiment):
    """MLflow stays down past the retries: the run fails with an error naming the tracking
    server, and the re-run reuses the trained cell and re-runs the interrupted one."""
    team = healthy
    # A short retry window (about 3 s a call) so the test does not wait minutes.
    run_id = team.run("benchmark/nightly-quick", _params(experiment, team),
                      env={"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2"})
    first = _wait_mid_second_cell(team, experiment)
    mlflow = team.stack.services["mlflow-server"]
    mlflow.stop()
    try:
        state = team.wait(run_id, timeout=300)
    finally:
        mlflow.start().wait_ready(timeout=180)
    assert state["type"] in ("FAILED", "CRASHED"), state
    message = state.get("message") or ""
    print(f"[with MLflow down: {state['type']}: {message[:300]}]")
    port = str(team.stack.ports["mlflow"])
    assert "mlflow" in message.lower() and port in message, message
    _rerun(team, experiment)
    _check_resumed(team, experiment, first)


# Slow (about 90 s): tests/test_resume.py kills and resumes a sweep in `make test`.
@pytest.mark.slow
def test_flow_process_killed_mid_cell_crashes_then_resumes(healthy, experiment):
    """The process running the flow is killed mid-cell: Prefect marks the run CRASHED, and the
    re-run resumes from what MLflow holds."""
    team = healthy
    run_id = team.run("benchmark/nightly-quick", _params(experiment, team))
    first = _wait_mid_second_cell(team, experiment)
    pid = team.parent_pid(experiment)  # the flow-run process the worker started
    os.kill(pid, signal.SIGKILL)
    state = team.wait(run_id, timeout=180)
    assert state["type"] == "CRASHED", state
    _rerun(team, experiment)
    _check_resumed(team, experiment, first)
    runs = team.runs(experiment)
    killed = [r for r in runs if r["tags"].get("zoo.pid") == str(pid)]
    assert [r["status"] for r in killed] == ["KILLED"], dump(killed)


def test_dask_worker_killed_mid_cell(healthy, experiment):
    """The `benchmark/dask` deployment sends training cells to the Dask scheduler's two
    workers; one worker (nanny and all) dies mid-cell, Dask runs its task on the other worker,
    and the sweep still COMPLETES."""
    team = healthy
    scheduler = team.stack.services["dask-scheduler"]
    clients_before = scheduler.since_start().count("Receive client connection")
    run_id = team.run("benchmark/dask", _params(experiment, team))
    team.wait_for_training(experiment, FIRST)
    team.stack.services["dask-worker-1"].kill()
    state = team.wait(run_id, timeout=420)
    assert state["type"] == "COMPLETED", f"{state}\n{team.logs(run_id)[-3000:]}"
    cells = team.cells(experiment)
    finished = [c for c in cells if c["status"] == "FINISHED"]
    assert sorted(c["tags"]["model"] for c in finished) == [FLOOR, FIRST, SECOND], dump(cells)
    assert all(c["status"] != "RUNNING" for c in cells)
    assert all("latency/p50_ms" in c["metrics"] for c in finished)
    # The tasks went through the existing cluster (prefect-dask logs this to the flow-run
    # process's output, which the worker relays), not a temporary local one.
    worker_log = team.stack.services["prefect-worker"].since_start()
    assert f"Connecting to an existing Dask cluster at {team.stack.dask_address}" in worker_log
    assert scheduler.since_start().count("Receive client connection") > clients_before


def test_prefect_server_restart_mid_sweep(healthy, experiment):
    """Prefect server restarted mid-cell: the flow run finishes (the client retries) or fails
    with a clear state, and a re-run resumes."""
    team = healthy
    run_id = team.run("benchmark/nightly-quick", _params(experiment, team))
    first = _wait_mid_second_cell(team, experiment)
    down = time.monotonic()
    team.stack.restart("prefect-server", down_seconds=2)
    print(f"[Prefect API unreachable for {time.monotonic() - down:.1f} s]")
    state = team.wait(run_id, timeout=420)
    print(f"[flow run across the restart: {state['type']} {state.get('message')}]")
    if state["type"] == "COMPLETED":
        cells_before = {c["id"] for c in team.cells(experiment)}
        _rerun(team, experiment)  # everything is cached: no cell runs again
        assert {c["id"] for c in team.cells(experiment)} == cells_before
    else:
        assert state["type"] in ("FAILED", "CRASHED") and state.get("message"), state
        _rerun(team, experiment)
    _check_resumed(team, experiment, first)
