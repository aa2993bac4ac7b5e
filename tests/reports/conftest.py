"""Shared fixtures. Creating an MLflow SQLite store runs its migrations (5-10 s here), so the
session creates one empty store and copies its file for each test that needs a fresh one."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.reports.factory import log_runs, rich_with_stats


def _fast_dir(tmp_path_factory, prefix: str) -> Path:
    """tmpfs where available: SQLite commits there skip the disk sync (2-3x faster logging)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix=f"zoo-{prefix}-", dir=shm))
    return tmp_path_factory.mktemp(prefix)


@pytest.fixture(scope="session")
def _pristine_db(tmp_path_factory):
    """An initialized, empty MLflow database file."""
    home = _fast_dir(tmp_path_factory, "pristine")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZOO_HOME", str(home))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        from zoo import tracking

        tracking.client().search_experiments(max_results=1)  # creates the tables
    yield home / "mlflow.db"
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def fresh_store(_pristine_db, tmp_path_factory, monkeypatch):
    """A new, empty ZOO_HOME (its own MLflow store) for one test."""
    home = _fast_dir(tmp_path_factory, "home")
    shutil.copy(_pristine_db, home / "mlflow.db")
    monkeypatch.setenv("ZOO_HOME", str(home))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("ZOO_MLFLOW_UI_URL", raising=False)
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def rich_store(_pristine_db, tmp_path_factory):
    """ZOO_HOME holding the rich benchmark (sentiment runs carry per-example stats)."""
    home = _fast_dir(tmp_path_factory, "rich")
    shutil.copy(_pristine_db, home / "mlflow.db")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZOO_HOME", str(home))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        runs, stats = rich_with_stats()
        log_runs(runs, "nlp-zoo", stats)
    yield home
    shutil.rmtree(home, ignore_errors=True)
