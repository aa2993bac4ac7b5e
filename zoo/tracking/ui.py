"""Links into the MLflow UI, and model versions in the MLflow Model Registry."""
from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Mapping
from pathlib import Path

import zoo.tracking.schema as schema  # noqa: PLR0402  (the leaf module, not the package)
from zoo.tracking.runs import _as_str
from zoo.tracking.store import client, tracking_uri

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
        if (v.tags.get(schema.SOURCE_RUN_ID) == source_run_id
                and v.tags.get(schema.MODEL_DIR) == folder):
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
            tags={**str_tags, schema.SOURCE_RUN_ID: source_run_id, schema.MODEL_DIR: folder})
    if description:
        c.update_registered_model(name, description=description)
    return str(version.version), False
