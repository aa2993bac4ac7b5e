"""ZOO_HOME and every path under it: the one place such a path is built (stdlib only, so
listing commands and the CLI's set-up can call it without loading torch, MLflow or Prefect).

    ZOO_HOME (default ./.zoo, resolved against the working directory at each call)
        mlflow.db            the default MLflow store (when MLFLOW_TRACKING_URI is unset)
        mlartifacts/         its artifacts
        bench.lock           one sweep per store (zoo.store_lock), with bench.holder beside it
        data/                the data cache, unless ZOO_DATA_CACHE names another folder
            downloads/ prepared/ pretrained/<checkpoint>/
        models/              trained cells, one folder per cache key
        pretrained/          the biLM cache (zoo.corpus: beside models/)
        datasets/<name>.json the user's registered dataset cards
        report/              the decision guide (index.html, report.md)
        prefect/             PREFECT_HOME, unless the user set one
        tuning/              `zoo tune` (zoo.tune): optuna.db (its studies), models/ (the
                             comparison's trained cells), study-<id>.lock (one run a study)

Each is a function, read at call time: tests and `zoo` subprocesses move ZOO_HOME through the
environment.
"""
from __future__ import annotations

import os
from pathlib import Path


def zoo_home() -> Path:
    """Project-local working state (MLflow store, data cache, models); ZOO_HOME overrides."""
    return Path(os.environ.get("ZOO_HOME", Path.cwd() / ".zoo")).resolve()


def mlflow_db() -> Path:
    """The default SQLite store (used when MLFLOW_TRACKING_URI is unset)."""
    return zoo_home() / "mlflow.db"


def default_tracking_uri() -> str:
    return f"sqlite:///{mlflow_db()}"


def mlflow_artifacts_dir() -> Path:
    """Where experiments of the default SQLite store keep their artifacts."""
    return zoo_home() / "mlartifacts"


def store_lock_path() -> Path:
    """The OS file lock that lets one sweep at a time use the store (zoo.store_lock)."""
    return zoo_home() / "bench.lock"


def store_holder_path() -> Path:
    """The note the lock's holder leaves: who holds the store, since when."""
    return store_lock_path().with_suffix(".holder")


def data_cache_dir() -> Path:
    """Downloads and prepared datasets; ZOO_DATA_CACHE shares one cache between homes."""
    override = os.environ.get("ZOO_DATA_CACHE")
    return Path(override).resolve() if override else zoo_home() / "data"


def prepared_dir() -> Path:
    """Prepared datasets (zoo.data.cache.prepared_path writes them under its cache_dir)."""
    return data_cache_dir() / "prepared"


def checkpoint_dir(name: str) -> Path:
    """A pinned pretrained checkpoint's files (zoo.checkpoints), shared like the datasets."""
    return data_cache_dir() / "pretrained" / name


def models_dir() -> Path:
    """The work folder of trained cells (one folder per cell key)."""
    return zoo_home() / "models"


def pretraining_dir() -> Path:
    """The biLM pretraining cache: zoo.corpus keeps it beside the models folder it is
    given (work_dir.parent), which is this folder for a sweep."""
    return zoo_home() / "pretrained"


def user_cards_dir() -> Path:
    """The user's registered dataset cards, one JSON file each."""
    return zoo_home() / "datasets"


def user_card_file(name: str) -> Path:
    """One registered card (zoo.data.user_cards checks the name before reading it)."""
    return user_cards_dir() / f"{name}.json"


def report_dir() -> Path:
    """The decision guide's default folder (index.html, report.md)."""
    return zoo_home() / "report"


def default_prefect_home() -> Path:
    """Prefect's home when the user set no PREFECT_HOME (the CLI sets it before Prefect loads)."""
    return zoo_home() / "prefect"


def tuning_db() -> Path:
    """The Optuna studies of `zoo tune` (an SQLite file, so a study resumes)."""
    return zoo_home() / "tuning" / "optuna.db"


def tuning_models_dir() -> Path:
    """The cells `zoo tune`'s comparison trains, apart from a sweep's models."""
    return tuning_db().with_name("models")


def tuning_lock_path(study_id: str) -> Path:
    """The OS file lock held while one study runs (zoo.tune_study.study_lock)."""
    return tuning_db().with_name(f"study-{study_id}.lock")
