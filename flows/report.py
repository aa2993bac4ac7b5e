"""The `report` flow: render the decision guide from MLflow (deployable on its own). It only
reads; flows/register.py registers the recommended models."""
from __future__ import annotations

from prefect import flow

from flows.benchmark import report_task
from zoo import tracking


@flow(name="report", log_prints=True)
def report(experiment: str = tracking.DEFAULT_EXPERIMENT, out_dir: str | None = None) -> str:
    tracking.check_reachable()
    path = report_task(experiment, out_dir)
    print(f"Report: {path}")
    return path
