"""The team set-up end to end: deployments on a real Prefect server with a process work pool,
results in a real MLflow server on PostgreSQL, the report rendered from them. (The Dask path
runs in test_faults.py::test_dask_worker_killed_mid_cell.)"""
from __future__ import annotations

import json

import pytest
from teamkit import REPO, TINY, dump

pytestmark = pytest.mark.integration

SCHEDULED = {"benchmark/nightly-quick": ("0 2 * * *", "quick"),
             "benchmark/nightly-standard": ("30 2 * * *", "standard")}


def _check_cells(team, experiment: str, models: set[str]) -> list[dict]:
    """Every cell FINISHED with quality, speed and size metrics; the parent run FINISHED."""
    runs = team.runs(experiment)
    cells = [r for r in runs if r["tags"].get("zoo.kind") == "cell"]
    assert {c["tags"]["model"] for c in cells} == models, dump(runs)
    for cell in cells:
        assert cell["status"] == "FINISHED", dump(cell)
        for metric in ("test/accuracy", "dev/accuracy", "latency/p50_ms", "size/params",
                       "train/seconds"):
            assert metric in cell["metrics"], f"{metric} missing: {dump(cell)}"
        assert cell["tags"]["dataset"] == "mr" and cell["tags"]["train_size"] == "200"
    parents = [r for r in runs if r["tags"].get("zoo.kind") == "benchmark"]
    assert [p["status"] for p in parents] == ["FINISHED"], dump(parents)
    return cells


def test_deployments_and_schedules(team):
    """`prefect deploy --all` made every deployment, on the process pool, with its schedule."""
    pool = team.prefect("GET", "/work_pools/zoo")
    assert pool["type"] == "process"
    for name, (cron, profile) in SCHEDULED.items():
        dep = team.deployment(name)
        assert dep["work_pool_name"] == "zoo"
        assert dep["parameters"]["profile"] == profile
        assert [s["schedule"]["cron"] for s in dep["schedules"]] == [cron], dump(dep)
        assert all(s["active"] for s in dep["schedules"])
    for name in ("benchmark/dask", "report/report", "prepare_data/prepare-data"):
        assert team.deployment(name)["schedules"] == []


def test_kubernetes_pools_and_gpu_limit_commands(team):
    """The commands infra/README.md gives for Kubernetes are accepted by a real server (no
    cluster needed: a pool and its template live on the server until a worker polls it)."""
    for pool, template in (("zoo-k8s", "base-job-template.json"),
                           ("zoo-k8s-gpu", "base-job-template-gpu.json")):
        team.cli("work-pool", "create", pool, "--type", "kubernetes",
                 "--base-job-template", f"infra/k8s/{template}")
        stored = team.prefect("GET", f"/work_pools/{pool}")
        assert stored["type"] == "kubernetes"
        expected = json.loads((REPO / "infra" / "k8s" / template).read_text())
        assert stored["base_job_template"] == expected
    team.cli("work-pool", "set-concurrency-limit", "zoo-k8s-gpu", "4")
    assert team.prefect("GET", "/work_pools/zoo-k8s-gpu")["concurrency_limit"] == 4
    team.cli("concurrency-limit", "create", "train", "4")
    try:
        limit = team.prefect("GET", "/concurrency_limits/tag/train")
        assert limit["concurrency_limit"] == 4
    finally:  # other tests run without it
        team.cli("concurrency-limit", "delete", "train")


def test_benchmark_deployment_end_to_end(healthy, experiment):
    team = healthy
    report_dir = team.stack.root / f"report-{experiment}"
    run_id = team.run("benchmark/nightly-quick", {
        **TINY, "models": ["tiny_lstm", "tfidf_logreg"], "experiment": experiment,
        "report_dir": str(report_dir)})
    state = team.wait(run_id, timeout=420)
    assert state["type"] == "COMPLETED", f"{state}\n{team.logs(run_id)[-3000:]}"

    # The named models plus the sentiment floor, which every run measures.
    cells = _check_cells(team, experiment, {"tiny_lstm", "tfidf_logreg", "majority_class"})
    # The flow ran the deployment's entrypoint with the run's parameters on the worker.
    run = team.flow_run(run_id)
    assert run["parameters"]["profile"] == "quick" and run["parameters"]["models"]
    tasks = team.task_runs(run_id)
    assert {t["name"].split(" ")[0] for t in tasks} >= {"train", "measure"}
    # training tasks carry the tag a GPU concurrency limit keys on
    assert all("train" in t["tags"] for t in tasks if t["name"].startswith("train "))
    # The decision guide was rendered from those runs.
    index = report_dir / "index.html"
    assert index.is_file() and index.stat().st_size > 0
    text = index.read_text()
    assert "tiny_lstm" in text and "tfidf_logreg" in text

    # No credential reaches MLflow params/tags, Prefect parameters or any log.
    secrets = list(team.stack.secrets.values())
    exposed = [dump(cells), dump(run["parameters"]), team.logs(run_id)]
    exposed += [svc.log.read_text(errors="replace") for svc in team.stack.services.values()]
    for text in exposed:
        assert not any(s in text for s in secrets), "a database password leaked"

    # The `report` deployment re-renders the guide from what MLflow holds.
    out = team.stack.root / f"report2-{experiment}"
    run_id = team.run("report/report", {"experiment": experiment, "out_dir": str(out)})
    state = team.wait(run_id, timeout=240)
    assert state["type"] == "COMPLETED", f"{state}\n{team.logs(run_id)[-3000:]}"
    assert (out / "index.html").is_file()
