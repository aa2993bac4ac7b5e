"""Per-example sufficient statistics of the test split, as one JSON artifact per run:
what the report's paired bootstrap reads back."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from zoo.tracking.schema import EXAMPLE_STATS_ARTIFACT
from zoo.tracking.store import client


def log_example_stats(run_id: str, task: str, stats: Mapping[str, object], *,
                      split: str = "test",
                      artifact_file: str = EXAMPLE_STATS_ARTIFACT) -> None:
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
                       artifact_file: str = EXAMPLE_STATS_ARTIFACT) -> dict[str, dict]:
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
