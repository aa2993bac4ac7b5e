"""The MLflow tracking store: where it is, creating it safely, its experiments."""
from __future__ import annotations

import os
from pathlib import Path

import zoo.tracking.schema as schema  # noqa: PLR0402  (the leaf module, not the package)
from zoo import home
from zoo.errors import ZooError
from zoo.servers import check_mlflow_server

# The paths are zoo.home's; these two names stay re-exported by zoo.tracking for its
# callers outside zoo/ (reports/render.py, benchmarks/bilm_convergence.py).
local_store = home.mlflow_db
state_dir = home.zoo_home

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
# With a tracking server MLflow prints "View run ... / View experiment ..." each time a run
# ends (two lines, and a run lookup, per cell); a sweep prints the experiment's link once
# (experiment_link).
os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")

DEFAULT_EXPERIMENT = schema.EXPERIMENT
# Re-exported by zoo.tracking for its callers (zoo.sweep, flows, tests): zoo.tracking.schema's.
CELL_KEY, STAGE, KIND, ERROR, PARENT = (schema.CELL_KEY, schema.STAGE, schema.KIND,
                                        schema.ERROR, schema.PARENT)
EXPERIMENT_KIND = schema.EXPERIMENT_KIND


def tracking_uri() -> str:
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    home.zoo_home().mkdir(parents=True, exist_ok=True)
    return home.default_tracking_uri()


_ready_stores: set[str] = set()  # local stores this process has created or found created


def client(uri: str | None = None):
    from mlflow import MlflowClient

    uri = uri or tracking_uri()
    if uri.startswith("sqlite:///") and uri not in _ready_stores:
        _create_local_store(uri)
    return MlflowClient(tracking_uri=uri)


def _create_local_store(uri: str) -> None:
    """Create (or migrate) a SQLite store under a file lock. MLflow creates the tables on the
    first call of each process, unguarded: two processes on a fresh store (a sweep and the
    `zoo report`, `zoo ui` or test polling it) failed with "duplicate column name" or "table
    already exists", 4 of 4 in a measured race (issue 14)."""
    import logging

    from filelock import FileLock
    from mlflow import MlflowClient

    db = Path(uri.removeprefix("sqlite:///"))
    db_log = logging.getLogger("mlflow.store.db.utils")
    level = db_log.level
    db_log.setLevel(logging.WARNING)  # "Creating initial MLflow database tables..." is noise
    try:
        with FileLock(db.with_name(db.name + ".init.lock"), thread_local=False):
            MlflowClient(tracking_uri=uri).search_experiments(max_results=1)
    finally:
        db_log.setLevel(level)
    _ready_stores.add(uri)


def check_reachable(uri: str | None = None) -> None:
    """Fail early with one line when the tracking store cannot be reached. The client's
    retries apply (a scheduled flow rides out a brief restart); `zoo bench` probes a named
    server in seconds before it starts a flow (zoo.servers)."""
    uri = uri or tracking_uri()
    try:
        client(uri).search_experiments(max_results=1)
    except Exception as exc:  # mlflow raises many kinds; all mean the same to the user
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ZooError(f"MLflow tracking store {uri} is unreachable ({first}); start it or "
                       "set MLFLOW_TRACKING_URI to a reachable store") from None


def check_existing_experiment(name: str) -> None:
    """For readers (`zoo report`): the store and the experiment must exist already, so a
    typo or a wrong ZOO_HOME fails with one line instead of writing an empty report (and
    creating an empty store)."""
    check_mlflow_server(os.environ.get("MLFLOW_TRACKING_URI", ""))
    if not os.environ.get("MLFLOW_TRACKING_URI") and not home.mlflow_db().is_file():
        raise ZooError(f"no MLflow store at {home.mlflow_db()}: run `zoo bench` first, or point "
                       "ZOO_HOME (or MLFLOW_TRACKING_URI) at the store")
    check_reachable()
    if client().get_experiment_by_name(name) is None:
        names = sorted(e.name for e in client().search_experiments())
        raise ZooError(f"no experiment {name!r} in {tracking_uri()}; it has: "
                       f"{', '.join(names) or 'none'} (pick one with --experiment)")


def experiment_id(name: str = DEFAULT_EXPERIMENT) -> str:
    c = client()
    exp = c.get_experiment_by_name(name)
    if exp is None:
        artifacts = None
        if tracking_uri().startswith("sqlite:"):
            artifacts = home.mlflow_artifacts_dir().as_uri()
        return c.create_experiment(name, artifact_location=artifacts,
                                   tags=dict([EXPERIMENT_KIND]))
    if EXPERIMENT_KIND[0] not in exp.tags:  # made before the zoo set it
        c.set_experiment_tag(exp.experiment_id, *EXPERIMENT_KIND)
    return exp.experiment_id


def find_experiment_id(name: str = DEFAULT_EXPERIMENT) -> str | None:
    """The experiment's id, or None; unlike `experiment_id` it never creates one."""
    exp = client().get_experiment_by_name(name)
    return exp.experiment_id if exp is not None else None


def experiment_link(exp_id: str) -> str | None:
    """The MLflow UI page of the experiment, when the store is a tracking server."""
    uri = tracking_uri()
    if not uri.startswith(("http://", "https://")):
        return None
    return f"{uri.rstrip('/')}/#/experiments/{exp_id}"
