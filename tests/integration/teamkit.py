"""Helpers shared by the integration tests: the tiny matrix and REST calls to the stack."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("zoo_localstack", REPO / "infra" / "localstack.py")
localstack = importlib.util.module_from_spec(_spec)
sys.modules["zoo_localstack"] = localstack
_spec.loader.exec_module(localstack)

FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
# A tiny matrix: one small data size, one seed, one epoch, few latency calls.
# Typed, as the flow declares its parameters (Prefect refuses "mr" for list[str] with a 409).
TINY = {"datasets": ["mr"], "train_sizes": [200], "seeds": [1], "overrides": {"epochs": 1},
        "latency_calls": 10}
# MLflow's own HTTP retries (urllib3, exponential backoff), shortened for tests; the defaults
# (7 retries, factor 2) wait about 4 minutes before giving up.
MLFLOW_RETRY_ENV = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "5",
                    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
                    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.5",
                    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30"}


class Team:
    """The running stack plus the REST calls the tests make against it."""

    def __init__(self, stack):
        self.stack = stack
        self.api = stack.prefect_api
        self.mlflow = stack.mlflow_uri

    # ---- Prefect -------------------------------------------------------------------
    def cli(self, *args: str) -> str:
        """A `prefect` CLI command from the repository root against this server."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ZOO_"))}
        env.update(localstack.QUIET, PREFECT_API_URL=self.api,
                   PREFECT_HOME=str(self.stack.root / "prefect-cli"))
        out = subprocess.run([str(localstack.BIN / "prefect"), "--no-prompt", *args], cwd=REPO,
                             env=env, capture_output=True, text=True, timeout=300, check=False)
        assert out.returncode == 0, f"prefect {' '.join(args)}:\n{out.stdout}\n{out.stderr}"
        return out.stdout + out.stderr

    def prefect(self, method: str, path: str, body: object | None = None):
        return localstack.http_json(method, f"{self.api}{path}", body)

    def deployment(self, name: str) -> dict:
        return self.prefect("GET", f"/deployments/name/{name}")

    def run(self, deployment: str, parameters: dict, env: dict | None = None) -> str:
        dep = self.deployment(deployment)
        body = {"parameters": parameters, "job_variables": {"env": env or {}}}
        return self.prefect("POST", f"/deployments/{dep['id']}/create_flow_run", body)["id"]

    def flow_run(self, run_id: str) -> dict:
        return self.prefect("GET", f"/flow_runs/{run_id}")

    def wait(self, run_id: str, timeout: float = 300) -> dict:
        """Poll until the flow run is in a final state; the API may be briefly down."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                state = self.flow_run(run_id)["state"]
                if state["type"] in FINAL:
                    return state
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(1)
        raise AssertionError(f"flow run {run_id} not finished after {timeout} s\n"
                             f"{self.stack.logs_tail(40)}")

    def logs(self, run_id: str) -> str:
        logs = self.prefect("POST", "/logs/filter", {
            "logs": {"flow_run_id": {"any_": [run_id]}}, "sort": "TIMESTAMP_ASC", "limit": 200})
        return "\n".join(entry["message"] for entry in logs)

    def task_runs(self, run_id: str) -> list[dict]:
        return self.prefect("POST", "/task_runs/filter", {
            "flow_runs": {"id": {"any_": [run_id]}}, "limit": 200})

    # ---- MLflow (REST only: what any client of the server sees) ----------------------
    def mlflow_call(self, method: str, path: str, body: object | None = None):
        return localstack.http_json(method, f"{self.mlflow}/api/2.0/mlflow/{path}", body)

    def runs(self, experiment: str) -> list[dict]:
        """Every run of the experiment as {id, name, status, tags, params, metrics}."""
        try:
            exp = self.mlflow_call(
                "GET", f"experiments/get-by-name?experiment_name={experiment}")["experiment"]
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return []
            raise
        found = self.mlflow_call("POST", "runs/search", {
            "experiment_ids": [exp["experiment_id"]], "max_results": 1000}).get("runs", [])
        return [{"id": r["info"]["run_id"], "name": r["info"].get("run_name"),
                 "status": r["info"]["status"],
                 "tags": {t["key"]: t["value"] for t in r["data"].get("tags", [])},
                 "params": {p["key"]: p["value"] for p in r["data"].get("params", [])},
                 "metrics": {m["key"]: m["value"] for m in r["data"].get("metrics", [])}}
                for r in found]

    def cells(self, experiment: str) -> list[dict]:
        return [r for r in self.runs(experiment) if r["tags"].get("zoo.kind") == "cell"]

    def wait_for_training(self, experiment: str, model: str, timeout: float = 300) -> dict:
        """Block until `model`'s cell run exists and is still training (no stage tag yet)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for run in self.cells(experiment):
                if (run["tags"].get("model") == model and run["status"] == "RUNNING"
                        and "zoo.stage" not in run["tags"]):
                    return run
            time.sleep(0.3)
        raise AssertionError(f"{model} never started training\n{self.stack.logs_tail(40)}")

    def parent_pid(self, experiment: str) -> int:
        """PID of the process running the flow (the benchmark parent run records it)."""
        for run in self.runs(experiment):
            if run["tags"].get("zoo.kind") == "benchmark" and run["status"] == "RUNNING":
                return int(run["tags"]["zoo.pid"])
        raise AssertionError("no RUNNING benchmark run")


def dump(obj) -> str:
    return json.dumps(obj, indent=1, default=str)[:4000]
