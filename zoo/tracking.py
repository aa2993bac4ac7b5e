"""MLflow, the single source of truth for results. The only module that imports mlflow.

Schema: one experiment per benchmark (default "nlp-zoo"); a parent run per benchmark
invocation; one child run per cell (task, dataset, model, size, seed) tagged with
`zoo.cell_key`. A cell's run stays RUNNING from training until its latency is measured;
re-running the flow skips cells with a FINISHED run of the same key.
"""
from __future__ import annotations

import contextlib
import io
import os
import socket
import time
from collections.abc import Mapping
from pathlib import Path

from zoo.errors import ZooError

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

DEFAULT_EXPERIMENT = "nlp-zoo"
CELL_KEY = "zoo.cell_key"
STAGE = "zoo.stage"  # trained | measured
KIND = "zoo.kind"  # benchmark (parent) | cell (child)
ERROR = "zoo.error"
PARENT = "mlflow.parentRunId"


def state_dir() -> Path:
    """Project-local working state (MLflow store, data cache, models); ZOO_HOME overrides."""
    return Path(os.environ.get("ZOO_HOME", Path.cwd() / ".zoo")).resolve()


def local_store() -> Path:
    """The default SQLite store (used when MLFLOW_TRACKING_URI is unset)."""
    return state_dir() / "mlflow.db"


def tracking_uri() -> str:
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    state_dir().mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{local_store()}"


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
    from zoo.servers import check_mlflow_server

    check_mlflow_server(os.environ.get("MLFLOW_TRACKING_URI", ""))
    if not os.environ.get("MLFLOW_TRACKING_URI") and not local_store().is_file():
        raise ZooError(f"no MLflow store at {local_store()}: run `zoo bench` first, or point "
                       "ZOO_HOME (or MLFLOW_TRACKING_URI) at the store")
    check_reachable()
    if client().get_experiment_by_name(name) is None:
        names = sorted(e.name for e in client().search_experiments())
        raise ZooError(f"no experiment {name!r} in {tracking_uri()}; it has: "
                       f"{', '.join(names) or 'none'} (pick one with --experiment)")


# The MLflow 3 UI opens an experiment without this tag on its GenAI traces overview ("No
# data available"), not on the runs table.
EXPERIMENT_KIND = ("mlflow.experimentKind", "custom_model_development")


def experiment_id(name: str = DEFAULT_EXPERIMENT) -> str:
    c = client()
    exp = c.get_experiment_by_name(name)
    if exp is None:
        artifacts = None
        if tracking_uri().startswith("sqlite:"):
            artifacts = (state_dir() / "mlartifacts").as_uri()
        return c.create_experiment(name, artifact_location=artifacts,
                                   tags=dict([EXPERIMENT_KIND]))
    if EXPERIMENT_KIND[0] not in exp.tags:  # made before the zoo set it
        c.set_experiment_tag(exp.experiment_id, *EXPERIMENT_KIND)
    return exp.experiment_id


def _as_str(value: object) -> str:
    return str(value)[:5000]


def _log(run_id: str, *, params: Mapping[str, object] = {}, tags: Mapping[str, object] = {},
         metrics: Mapping[str, float] = {}, step: int = 0) -> None:
    from mlflow.entities import Metric, Param, RunTag

    now = int(time.time() * 1000)
    client().log_batch(
        run_id,
        metrics=[Metric(k, float(v), now, step) for k, v in metrics.items()],
        params=[Param(k, _as_str(v)) for k, v in params.items()],
        tags=[RunTag(k, _as_str(v)) for k, v in tags.items()],
    )


def start_parent_run(exp_id: str, name: str, tags: Mapping[str, object]) -> str:
    """The run that groups one benchmark invocation; records the pid so a killed one is found."""
    close_dead_parents(exp_id)
    run = client().create_run(exp_id, run_name=name, tags={
        KIND: "benchmark", "zoo.pid": str(os.getpid()), "zoo.host": socket.gethostname(),
        **{k: _as_str(v) for k, v in tags.items()}})
    # The sweep's shape as params too: the experiment page's columns show params, not tags.
    _log(run.info.run_id, params={k: tags[k] for k in ("profile", "cells", "parallel",
                                                        "threads") if k in tags})
    return run.info.run_id


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def close_dead_parents(exp_id: str) -> int:
    """Mark RUNNING benchmark runs whose process died on this host as KILLED."""
    c, closed = client(), 0
    for run in c.search_runs([exp_id], f"tags.`{KIND}` = 'benchmark' and attributes.status = "
                                       "'RUNNING'", max_results=1000):
        tags = run.data.tags
        if tags.get("zoo.host") == socket.gethostname() and not _pid_alive(
                int(tags.get("zoo.pid", "0") or 0)):
            c.set_terminated(run.info.run_id, status="KILLED")
            closed += 1
    return closed


def finish_run(run_id: str, status: str = "FINISHED") -> None:
    client().set_terminated(run_id, status=status)


def finish_parent_run(run_id: str, counts: Mapping[str, int], wall_seconds: float,
                      status: str) -> None:
    """The sweep's summary on its parent run, so the MLflow UI's experiment page shows it
    without expanding the run: cells by status and the wall time."""
    metrics = {f"cells/{name}": n for name, n in counts.items()}
    log_metrics(run_id, {**metrics, "cells/total": sum(counts.values()),
                         "sweep/wall_seconds": wall_seconds})
    finish_run(run_id, status)


def cell_runs(exp_id: str, key: str) -> list:
    return client().search_runs([exp_id], f"tags.`{CELL_KEY}` = '{key}'", max_results=100)


def finished_cell_run(exp_id: str, key: str) -> str | None:
    for run in cell_runs(exp_id, key):
        if run.info.status == "FINISHED":
            return run.info.run_id
    return None


def resumable_cell_run(exp_id: str, key: str) -> tuple[str | None, str | None]:
    """(run id, model dir) of a cell trained but not yet measured; other leftovers are KILLED."""
    found: tuple[str | None, str | None] = (None, None)
    for run in cell_runs(exp_id, key):
        if run.info.status != "RUNNING":
            continue
        model_dir = run.data.tags.get("zoo.model_dir", "")
        if found[0] is None and run.data.tags.get(STAGE) == "trained" and Path(model_dir).is_dir():
            found = (run.info.run_id, model_dir)
        else:
            client().set_tag(run.info.run_id, ERROR, "interrupted before it finished")
            client().set_terminated(run.info.run_id, status="KILLED")
    return found


def start_cell_run(exp_id: str, parent_id: str | None, name: str, key: str,
                   tags: Mapping[str, object], params: Mapping[str, object]) -> str:
    all_tags = {KIND: "cell", CELL_KEY: key, **{k: _as_str(v) for k, v in tags.items()}}
    if parent_id:
        all_tags[PARENT] = parent_id
    run_id = client().create_run(exp_id, run_name=name, tags=all_tags).info.run_id
    _log(run_id, params=params)
    return run_id


def log_metrics(run_id: str, metrics: Mapping[str, float], step: int = 0) -> None:
    clean = {k: v for k, v in metrics.items() if v is not None and v == v}  # drop NaN
    _log(run_id, metrics=clean, step=step)


def log_tags(run_id: str, tags: Mapping[str, object]) -> None:
    _log(run_id, tags=tags)


def log_curve(run_id: str, name: str, values: list[float]) -> None:
    """A per-epoch curve as one metric with steps 1..n (MLflow draws it as a chart)."""
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    metrics = [Metric(name, float(v), now, i + 1) for i, v in enumerate(values)]
    if metrics:
        client().log_batch(run_id, metrics=metrics)


def fail_cell_run(run_id: str, error: str) -> None:
    client().set_tag(run_id, ERROR, error[:5000])
    client().set_terminated(run_id, status="FAILED")


def load_runs(experiment: str = DEFAULT_EXPERIMENT) -> list[dict]:
    """Every cell run of an experiment as a plain dict: id, status, tags, params, metrics."""
    c = client()
    exp = c.get_experiment_by_name(experiment)
    if exp is None:
        return []
    runs, token = [], None
    while True:
        page = c.search_runs([exp.experiment_id], f"tags.`{KIND}` = 'cell'",
                             max_results=1000, page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            break
    return [{"run_id": r.info.run_id, "status": r.info.status, "start_time": r.info.start_time,
             "end_time": r.info.end_time, "tags": dict(r.data.tags),
             "params": dict(r.data.params), "metrics": dict(r.data.metrics)} for r in runs]


def load_parent_runs(experiment: str = DEFAULT_EXPERIMENT) -> list[dict]:
    c = client()
    exp = c.get_experiment_by_name(experiment)
    if exp is None:
        return []
    runs = c.search_runs([exp.experiment_id], f"tags.`{KIND}` = 'benchmark'", max_results=200,
                         order_by=["attributes.start_time DESC"])
    return [{"run_id": r.info.run_id, "status": r.info.status, "start_time": r.info.start_time,
             "tags": dict(r.data.tags)} for r in runs]


# ---- Support for the decision guide (reports/): appended, the functions above are unchanged.

def log_example_stats(run_id: str, task: str, stats: Mapping[str, object], *,
                      split: str = "test",
                      artifact_file: str = "eval/test_example_stats.json") -> None:
    """Log per-example sufficient statistics of each metric as one JSON artifact.

    `stats` maps a metric name (accuracy, macro_f1, f1, bleu, chrf) to an (N, k) integer array
    (or nested list) over the N examples of `split`, in data order: exactly the arrays
    zoo/evaluate.py bootstraps its CIs from. The report's paired bootstrap reads them back.
    """
    import json

    rows = {name: (value.tolist() if hasattr(value, "tolist") else list(value))
            for name, value in stats.items()}
    sizes = {len(v) for v in rows.values()}
    payload = {"version": 1, "task": task, "split": split,
               "n": sizes.pop() if len(sizes) == 1 else None, "stats": rows}
    client().log_text(run_id, json.dumps(payload, separators=(",", ":")), artifact_file)


def load_example_stats(run_ids, *, experiment: str | None = None,
                       artifact_file: str = "eval/test_example_stats.json") -> dict[str, dict]:
    """run id -> the payload written by `log_example_stats`; runs without it are left out.

    With `experiment`, the runs' artifact locations come from one search per 100 runs and
    each file is fetched straight from its artifact repository (a runs:/ download costs two
    run look-ups per file).
    """
    import json
    import tempfile

    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    c, wanted, uris, out = client(), list(dict.fromkeys(run_ids)), {}, {}
    exp = c.get_experiment_by_name(experiment) if experiment else None
    for i in range(0, len(wanted) if exp is not None else 0, 100):
        chunk = wanted[i:i + 100]
        ids = ", ".join(f"'{r}'" for r in chunk if r.isalnum())
        if ids:
            for run in c.search_runs([exp.experiment_id], f"attributes.run_id IN ({ids})",
                                     max_results=len(chunk)):
                uris[run.info.run_id] = run.info.artifact_uri
    with tempfile.TemporaryDirectory(prefix="zoo-stats-") as tmp:
        for i, run_id in enumerate(wanted):
            try:
                uri = uris.get(run_id) or c.get_run(run_id).info.artifact_uri
                dst = Path(tmp) / str(i)
                dst.mkdir()
                local = get_artifact_repository(uri).download_artifacts(artifact_file, str(dst))
                out[run_id] = json.loads(Path(local).read_text())
            except Exception:  # noqa: BLE001, S112  absent (older runs) or unreadable: fall back
                continue
    return out


def find_experiment_id(name: str = DEFAULT_EXPERIMENT) -> str | None:
    """The experiment's id, or None; unlike `experiment_id` it never creates one."""
    exp = client().get_experiment_by_name(name)
    return exp.experiment_id if exp is not None else None


UI_HOST, UI_PORT = "127.0.0.1", 5000  # where `zoo ui` serves the MLflow UI by default


def ui_base_url() -> str | None:
    """The MLflow UI's address: ZOO_MLFLOW_UI_URL, else an http(s) tracking server, else
    the address `zoo ui` serves a local store on (the report links its runs there)."""
    url = os.environ.get("ZOO_MLFLOW_UI_URL") or tracking_uri()
    if url.startswith("sqlite:"):
        url = f"http://{UI_HOST}:{UI_PORT}"
    if not url.startswith(("http://", "https://")):
        return None
    return url.rstrip("/")


def run_url(run_id: str, experiment_id: str, base: str | None = None) -> str | None:
    base = base or ui_base_url()
    # workflowType: the MLflow 3 UI otherwise opens in its GenAI mode
    return (f"{base}/#/experiments/{experiment_id}/runs/{run_id}?workflowType=machine_learning"
            if base else None)


def model_version_url(name: str, version: str, base: str | None = None) -> str | None:
    from urllib.parse import quote

    base = base or ui_base_url()
    return f"{base}/#/models/{quote(name, safe='')}/versions/{version}" if base else None


def register_model_version(model_dir: str | Path, name: str, *, source_run_id: str,
                           experiment_id: str, loader_module: str, code_paths: list[str],
                           pip_requirements: list[str], tags: Mapping[str, object],
                           description: str = "") -> tuple[str, bool]:
    """Log a trained model folder as an MLflow pyfunc model (custom `loader_module`, explicit
    pip requirements: no environment inference, no pickle) linked to the cell run that
    trained it, and register it under `name`. Returns (version, reused): a version already
    registered from the same run and folder is reused, so re-rendering the report is cheap.
    """
    import mlflow

    c = client()
    folder = str(Path(model_dir).resolve())
    try:
        versions = c.search_model_versions(f"name = '{name}'")
    except Exception:  # noqa: BLE001  no such registered model yet
        versions = []
    for v in versions:
        if (v.tags.get("zoo.source_run_id") == source_run_id
                and v.tags.get("zoo.model_dir") == folder):
            return str(v.version), True
    mlflow.set_tracking_uri(tracking_uri())
    mlflow.set_registry_uri(tracking_uri())
    str_tags = {k: _as_str(v) for k, v in tags.items()}
    logged = mlflow.initialize_logged_model(name=name, source_run_id=source_run_id,
                                            experiment_id=experiment_id, tags=str_tags)
    info = mlflow.pyfunc.log_model(
        name=name, loader_module=loader_module, data_path=folder, code_paths=code_paths,
        pip_requirements=pip_requirements, model_id=logged.model_id)
    # register_model prints "Successfully registered model" and "Created version" to stderr
    # for every model: noise at the end of each sweep; errors still raise.
    with contextlib.redirect_stderr(io.StringIO()):
        version = mlflow.register_model(
            info.model_uri, name,
            tags={**str_tags, "zoo.source_run_id": source_run_id, "zoo.model_dir": folder})
    if description:
        c.update_registered_model(name, description=description)
    return str(version.version), False


def set_model_aliases(name: str, aliases: Mapping[str, str],
                      managed_prefixes: tuple[str, ...] = ("best-", "smallest-")) -> None:
    """Point each alias at its version; remove managed aliases no longer recommended."""
    c = client()
    current = c.get_registered_model(name).aliases or {}
    for alias in current:
        if alias.startswith(managed_prefixes) and alias not in aliases:
            c.delete_registered_model_alias(name, alias)
    for alias, version in aliases.items():
        if current.get(alias) != str(version):
            c.set_registered_model_alias(name, alias, str(version))
