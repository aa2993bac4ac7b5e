"""The `register-models` task: write one MLflow aggregate run per leaderboard row
(publish/aggregates.py), then register the report's picks in the MLflow Model Registry
(publish/register.py). The benchmark flow runs it after the report, which only reads; the
`register` flow runs it on its own (like `zoo register`)."""
from __future__ import annotations

from dataclasses import asdict

from prefect import flow, get_run_logger, task

from publish.aggregates import publish_aggregates_line
from publish.register import register_experiment
from zoo import tracking


@task(name="register-models", task_run_name="register {experiment}")
def register_models(experiment: str) -> list[dict]:
    """One log line per registry entry; a failure is logged, never raised: the sweep's runs
    and its report exist either way, and `zoo register` can be run again."""
    logger = get_run_logger()
    try:  # first, one MLflow run per leaderboard row for browsing (publish/aggregates.py)
        logger.info(publish_aggregates_line(experiment))
    except Exception as exc:  # noqa: BLE001  `zoo report` writes them again
        logger.warning("aggregate runs not written (%s: %s)", type(exc).__name__, exc)
    try:
        registrations = register_experiment(experiment)
    except Exception as exc:  # noqa: BLE001
        logger.warning("models not registered (%s: %s); run `zoo register --experiment %s`",
                       type(exc).__name__, exc, experiment)
        return []
    for r in registrations:
        (logger.warning if r.status == "failed" else logger.info)(r.line)
    return [asdict(r) | {"uri": r.uri} for r in registrations]


@flow(name="register", log_prints=True)
def register(experiment: str = tracking.DEFAULT_EXPERIMENT) -> list[dict]:
    tracking.check_reachable()
    return register_models(experiment)
