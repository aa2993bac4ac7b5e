"""MLflow, the single source of truth for results: every run the benchmark writes goes
through this package (publish/register.py writes the model registry; reports/ only reads).

Schema: one experiment per benchmark (default "nlp-zoo"); a parent run per benchmark
invocation; one child run per cell (task, dataset, model, size, seed) tagged with
`zoo.cell_key`. A cell's run stays RUNNING from training until its latency is measured;
re-running the flow skips cells with a FINISHED run of the same key.

Modules: `schema` (every tag, param and metric key, named once, and each task's primary
metric; stdlib only, so reports/ and the writers below this package import it), `store`
(where the store is, creating it under a lock, experiments), `runs` (parent and cell runs),
`stats` (per-example test statistics), `records` (per-example records of the test
predictions), `ui` (links into the MLflow UI, model registry versions). What a cell's run
records is decided above this package, in zoo.sweep.run_record: nothing here imports the
cells, so zoo.cells and the encoders below may import `zoo.tracking.schema`. Callers use the names re-exported here
(`from zoo import tracking; tracking.start_cell_run(...)`).
"""
import zoo.tracking.schema as schema  # noqa: PLR0402  (the leaf module, not the package)
from zoo.tracking.runs import (
    _log,  # noqa: F401  (tests/reports/factory.py writes raw runs)
    cell_runs,
    close_dead_parents,
    fail_cell_run,
    finish_parent_run,
    finish_run,
    finished_cell_keys,
    finished_cell_run,
    load_parent_runs,
    load_runs,
    log_curve,
    log_metrics,
    log_tags,
    resumable_cell_run,
    run_metric,
    start_cell_run,
    start_parent_run,
)
from zoo.tracking.stats import load_example_stats, log_example_stats
from zoo.tracking.store import (
    CELL_KEY,
    DEFAULT_EXPERIMENT,
    ERROR,
    EXPERIMENT_KIND,
    KIND,
    PARENT,
    STAGE,
    check_existing_experiment,
    check_reachable,
    client,
    experiment_id,
    experiment_link,
    find_experiment_id,
    local_store,
    state_dir,
    tracking_uri,
)
from zoo.tracking.ui import (
    UI_HOST,
    UI_PORT,
    model_version_url,
    register_model_version,
    run_url,
    ui_base_url,
)

__all__ = [
    "CELL_KEY", "DEFAULT_EXPERIMENT", "ERROR", "EXPERIMENT_KIND", "KIND", "PARENT", "STAGE",
    "UI_HOST", "UI_PORT", "cell_runs", "check_existing_experiment",
    "check_reachable", "client", "close_dead_parents", "experiment_id", "experiment_link",
    "fail_cell_run",
    "find_experiment_id", "finish_parent_run", "finish_run", "finished_cell_keys", "finished_cell_run",
    "load_example_stats", "load_parent_runs", "load_runs", "local_store", "log_curve",
    "log_example_stats", "log_metrics", "log_tags", "model_version_url",
    "register_model_version", "resumable_cell_run", "run_metric", "run_url", "schema",
    "start_cell_run", "start_parent_run", "state_dir", "tracking_uri", "ui_base_url",
]
