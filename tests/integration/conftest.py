"""Fixtures for the integration tests: the team stack as real processes on 127.0.0.1.

One stack per test session (PostgreSQL, Prefect server, MLflow server, a `process` work pool
with a worker, a Dask scheduler with two workers), started by infra/localstack.py in a
temporary folder and stopped by PID, folder removed, however the session ends. Each test uses
its own MLflow experiment, so tests do not see each other's cells.
"""
from __future__ import annotations

import signal
import time

import pytest
from teamkit import MLFLOW_RETRY_ENV, Team, localstack


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def team():
    try:
        localstack.pg_bindir()
    except localstack.StackError as exc:
        pytest.fail(f"{exc} (make test-integration installs it)")
    stack = localstack.Stack(dask_workers=2, extra_env=MLFLOW_RETRY_ENV)
    # pytest runs fixture finalizers on errors and Ctrl-C; make SIGTERM (a CI timeout) do so too
    previous = signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    try:
        stack.start()
        print(f"\n[team stack up in {time.monotonic() - started:.1f} s at {stack.root}]")
        team = Team(stack)
        t = time.monotonic()
        # as a user would, from the repository root
        team.cli("deploy", "--all", "--prefect-file", "infra/prefect.yaml")
        print(f"[prefect deploy --all in {time.monotonic() - t:.1f} s]")
        yield team
    except BaseException:
        print(stack.logs_tail(60))
        raise
    finally:
        stack.stop()
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture
def healthy(team):
    """Every service up before a test (a fault test may have left one stopped)."""
    for name, svc in team.stack.services.items():
        if not svc.alive():
            team.stack.restart(name)
    return team


def experiment_name(request) -> str:
    return f"it-{request.node.name}".replace("[", "-").replace("]", "")


@pytest.fixture
def experiment(request) -> str:
    return experiment_name(request)
