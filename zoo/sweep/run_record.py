"""What a cell run records: its tags and params when it starts, its results once trained.

The one place that turns a cell (zoo.cells) into MLflow tags and metrics, through zoo.tracking's
writers; zoo.sweep.run calls these. It sits above both: zoo.tracking knows nothing of cells.
"""
from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import asdict

from zoo.cells import PROTOCOL, ResolvedCell, TrainedCell
from zoo.configs import config_hash, get_profile
from zoo.measure import environment_id
from zoo.models import get_entry
from zoo.tracking import schema
from zoo.tracking.records import log_example_records
from zoo.tracking.runs import log_curve, log_metrics, log_tags
from zoo.tracking.stats import log_example_stats

log = logging.getLogger(__name__)


def cell_tags(cell: ResolvedCell, env: dict[str, str]) -> dict[str, object]:
    """The model's registry metadata plus the cell's axes."""
    spec = cell.spec
    entry = get_entry(spec.model)
    smoke = get_profile(spec.profile).smoke
    return {
        schema.MODEL: spec.model, schema.TASK: spec.task,
        **entry.tags(),  # family, size, direction, CRF, runtime, float twin, textbook twins
        schema.DATASET: spec.dataset, schema.TRAIN_SIZE: spec.train_size, schema.SEED: spec.seed,
        schema.PROFILE: spec.profile, schema.SMOKE: schema.smoke_value(smoke),
        schema.DATA_FINGERPRINT: cell.data_fingerprint, schema.PROTOCOL: PROTOCOL,
        schema.PRIMARY_METRIC_TAG: schema.PRIMARY_METRIC[spec.task],
        schema.CONFIG_HASH: config_hash(cell.config),
        schema.ENV_ID: environment_id(env), schema.WORKER_HOST: socket.gethostname(),
        schema.WORKER_PID: os.getpid(), **env,
        **({schema.VARIANT: spec.variant} if spec.variant else {}),
    }


def cell_params(cell: ResolvedCell) -> dict[str, object]:
    """The resolved TrainConfig as params (the MLflow UI's columns show params)."""
    return {schema.MODEL: cell.spec.model,
            **{schema.train_param(k): v for k, v in asdict(cell.config).items()}}


def _utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def _trained_metrics(cell: TrainedCell, span: tuple[float, float]) -> dict[str, float]:
    metrics = {schema.test_metric(k): v for k, v in cell.test.items()}
    metrics.update({schema.dev_metric(k): v for k, v in cell.dev.items()})
    # One column that compares across tasks in the MLflow UI (the `primary_metric` tag says
    # which metric it is: accuracy, f1 or bleu).
    primary = schema.PRIMARY_METRIC[cell.spec.task]
    metrics.update({name: scores[primary]
                    for name, scores in ((schema.TEST_PRIMARY, cell.test),
                                         (schema.DEV_PRIMARY, cell.dev)) if primary in scores})
    metrics.update({
        schema.SIZE_PARAMS: cell.params, schema.SIZE_BYTES: cell.size_bytes,
        schema.TRAIN_SECONDS: cell.train_seconds, schema.TRAIN_PEAK_RSS_MB: cell.peak_rss_mb,
        schema.TRAIN_WALL_SECONDS: span[1] - span[0],  # with data loading in the worker
        schema.TRAIN_EXAMPLES: cell.n_train, schema.TRAIN_FRACTION: cell.train_fraction,
        schema.TRAIN_EPOCHS_RUN: len(cell.epochs)})
    metrics.update(cell.extra_metrics)
    return metrics


def _trained_tags(cell: TrainedCell, span: tuple[float, float]) -> dict[str, object]:
    return {
        schema.STAGE: schema.STAGE_TRAINED, schema.MODEL_DIR: cell.model_dir,
        schema.TRAIN_EXAMPLES_TAG: cell.n_train,
        schema.TRAIN_FRACTION_TAG: round(cell.train_fraction, 4),
        # The `device` env tag is the machine's; this, the cell's. worker_pid is the flow's
        # process; this, the trainer's.
        schema.TRAIN_DEVICE: cell.device, schema.TRAIN_PID: cell.train_pid,
        schema.TRAIN_BEGAN: _utc(span[0]), schema.TRAIN_ENDED: _utc(span[1]),
        # Logged on the cell's own run, which a resume reuses (finished_cell_run /
        # resumable_cell_run return it), so these tags survive a resumed sweep.
        schema.STOP_REASON: cell.stop_reason or "unknown",
        schema.CONVERGED: "true" if cell.converged else "false",
        **{schema.note(k): v for k, v in cell.notes.items()},
        **{schema.model_param(k): v for k, v in cell.model_description.items()}}


def log_trained_cell(run_id: str, cell: TrainedCell, span: tuple[float, float]) -> None:
    """`span`: when training began and ended (the run
    stays open until its latency is measured, so the MLflow UI's run duration is not the
    cell's cost; these are)."""
    log_metrics(run_id, _trained_metrics(cell, span))
    if cell.test_stats:  # per-example stats for the report's paired bootstrap (optional)
        try:
            log_example_stats(run_id, cell.spec.task, cell.test_stats)
        except Exception as exc:  # noqa: BLE001  the report falls back to CI overlap
            log.warning("per-example stats of %s not logged: %s", cell.spec.label, exc)
    if cell.test_records:  # per-example records for the report's buckets (optional)
        try:
            log_example_records(run_id, cell.test_records)
        except Exception as exc:  # noqa: BLE001  the report skips this run's buckets
            log.warning("per-example records of %s not logged: %s", cell.spec.label, exc)
    for name, values in cell.curves.items():
        log_curve(run_id, name, values)
    log_curve(run_id, schema.CURVE_TRAIN_LOSS, [e["train_loss"] for e in cell.epochs])
    log_curve(run_id, schema.CURVE_DEV_SCORE, [e["dev_score"] for e in cell.epochs])
    log_tags(run_id, _trained_tags(cell, span))
