"""What a cell run records: its tags and params when it starts, its results once trained.

The one place that turns a cell into MLflow tags and metrics (zoo.bench only calls these).
"""
from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import asdict

from zoo.tracking.runs import log_curve, log_metrics, log_tags
from zoo.tracking.stats import log_example_stats
from zoo.tracking.store import STAGE

log = logging.getLogger(__name__)


def cell_tags(cell, env: dict[str, str]) -> dict[str, object]:
    """`cell`: a zoo.cells.ResolvedCell; the model's registry metadata plus the cell's axes."""
    from zoo.cells import PROTOCOL
    from zoo.configs import config_hash
    from zoo.evaluate import PRIMARY_METRIC
    from zoo.measure import environment_id
    from zoo.models import get_entry

    spec = cell.spec
    entry = get_entry(spec.model)
    return {
        "model": spec.model, "task": spec.task,
        **entry.tags(),  # family, size, direction, CRF, runtime, float twin, textbook twins
        "dataset": spec.dataset, "train_size": spec.train_size, "seed": spec.seed,
        "profile": spec.profile, "data_fingerprint": cell.data_fingerprint,
        "protocol": PROTOCOL, "primary_metric": PRIMARY_METRIC[spec.task],
        "config_hash": config_hash(cell.config),
        "env_id": environment_id(env), "worker_host": socket.gethostname(),
        "worker_pid": os.getpid(), **env,
    }


def cell_params(cell) -> dict[str, object]:
    """The resolved TrainConfig as params (the MLflow UI's columns show params)."""
    return {"model": cell.spec.model,
            **{f"train.{k}": v for k, v in asdict(cell.config).items()}}


def _utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def _trained_metrics(cell, span: tuple[float, float]) -> dict[str, float]:
    from zoo.evaluate import PRIMARY_METRIC

    metrics = {f"test/{k}": v for k, v in cell.test.items()}
    metrics.update({f"dev/{k}": v for k, v in cell.dev.items()})
    # One column that compares across tasks in the MLflow UI (the `primary_metric` tag says
    # which metric it is: accuracy, f1 or bleu).
    primary = PRIMARY_METRIC[cell.spec.task]
    metrics.update({f"{split}/primary": scores[primary]
                    for split, scores in (("test", cell.test), ("dev", cell.dev))
                    if primary in scores})
    metrics.update({"size/params": cell.params, "size/bytes": cell.size_bytes,
                    "train/seconds": cell.train_seconds, "train/peak_rss_mb": cell.peak_rss_mb,
                    "train/wall_seconds": span[1] - span[0],  # with data loading in the worker
                    "train/examples": cell.n_train, "train/fraction": cell.train_fraction,
                    "train/epochs_run": len(cell.epochs)})
    metrics.update(cell.extra_metrics)
    return metrics


def _trained_tags(cell, span: tuple[float, float]) -> dict[str, object]:
    return {
        STAGE: "trained", "zoo.model_dir": cell.model_dir,
        "train_examples": cell.n_train, "train_fraction": round(cell.train_fraction, 4),
        "train_device": cell.device,  # the `device` env tag is the machine's; this, the cell's
        "train_pid": cell.train_pid,  # worker_pid is the flow's process; this, the trainer's
        "train_began": _utc(span[0]), "train_ended": _utc(span[1]),
        # Logged on the cell's own run, which a resume reuses (finished_cell_run /
        # resumable_cell_run return it), so these tags survive a resumed sweep.
        "zoo.stop_reason": cell.stop_reason or "unknown",
        "zoo.converged": "true" if cell.converged else "false",
        **{f"note.{k}": v for k, v in cell.notes.items()},
        **{f"model.{k}": v for k, v in cell.model_description.items()}}


def log_trained_cell(run_id: str, cell, span: tuple[float, float]) -> None:
    """`cell`: a zoo.cells.TrainedCell. `span`: when training began and ended (the run
    stays open until its latency is measured, so the MLflow UI's run duration is not the
    cell's cost; these are)."""
    log_metrics(run_id, _trained_metrics(cell, span))
    if cell.test_stats:  # per-example stats for the report's paired bootstrap (optional)
        try:
            log_example_stats(run_id, cell.spec.task, cell.test_stats)
        except Exception as exc:  # noqa: BLE001  the report falls back to CI overlap
            log.warning("per-example stats of %s not logged: %s", cell.spec.label, exc)
    for name, values in cell.curves.items():
        log_curve(run_id, name, values)
    log_curve(run_id, "curve/train_loss", [e["train_loss"] for e in cell.epochs])
    log_curve(run_id, "curve/dev_score", [e["dev_score"] for e in cell.epochs])
    log_tags(run_id, _trained_tags(cell, span))
