"""`zoo schedule` against a real Prefect server started here on 127.0.0.1: the served
deployment gets a scheduled run from its cron, and that run completes."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(url: str, body: dict | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def _start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _tails(logs: list[Path]) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in logs)


def _wait(predicate, timeout: float, what: str, logs: list[Path]):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except OSError:
            pass
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{_tails(logs)}") from None
        time.sleep(2)
    raise AssertionError(f"timed out waiting for {what}\n{_tails(logs)}")


def test_scheduled_benchmark_run_completes(tmp_path, shared_data_cache):
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_API_URL": api,
           "ZOO_HOME": str(tmp_path / "zoo"), "ZOO_DATA_CACHE": str(shared_data_cache),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    server_log, serve_log = tmp_path / "server.log", tmp_path / "serve.log"
    server = _start([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port",
                     str(port)], env, server_log)
    serve = None
    try:
        _wait(lambda: _api(f"{api}/health"), 120, "the Prefect server", [server_log])
        serve = _start([str(BIN / "zoo"), "schedule", "--cron", "* * * * *", "--name", "every",
                        "--datasets", "mr", "--models", "tfidf_logreg", "--sizes", "300",
                        "--seeds", "1"], env, serve_log)

        def completed_run():
            runs = _api(f"{api}/flow_runs/filter", {"sort": "EXPECTED_START_TIME_DESC"})
            done = [r for r in runs if r["state_type"] == "COMPLETED"]
            failed = [r for r in runs if r["state_type"] in ("FAILED", "CRASHED")]
            assert not failed, f"scheduled run failed: {failed[0]['state_name']}"
            return done[0] if done else None

        run = _wait(completed_run, 240, "a scheduled run to complete", [server_log, serve_log])
        deployment = _api(f"{api}/deployments/{run['deployment_id']}")
        assert deployment["name"] == "every"
        assert deployment["schedules"][0]["schedule"]["cron"] == "* * * * *"
        assert run["auto_scheduled"] is True
        assert (tmp_path / "zoo" / "report" / "index.html").is_file()
        # Stopping it (a service manager's SIGTERM) is clean: one line, exit 0, no warning.
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(30) == 0, _tails([serve_log])
        said = serve_log.read_text(errors="replace")
        assert "Stopped serving benchmark/every." in said
        assert "never awaited" not in said and "Traceback" not in said, said[-3000:]
    finally:
        if serve is not None:
            _stop(serve)
        _stop(server)
