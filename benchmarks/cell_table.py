"""One line per benchmark cell of an MLflow store: how long it trained, how it stopped, its
test score; then training cell-seconds per dataset and the stop reasons counted. The
docs/runs/*_profile_run_*.txt files are its output. Read-only: safe while a sweep still runs.

    python benchmarks/cell_table.py [--tracking-uri sqlite:///.zoo/mlflow.db] [--experiment nlp-zoo]

Without --tracking-uri it reads the project's store (ZOO_HOME, else ./.zoo).
"""
from __future__ import annotations

import argparse
from collections import Counter, defaultdict

from mlflow.tracking import MlflowClient

from reports.runs import size_key
from zoo import tracking

COLUMNS = ("dataset", "model", "size", "seed", "train_s", "epochs", "best", "stop", "test",
           "status")


def cell_rows(client: MlflowClient, experiment: str) -> list[tuple]:
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        raise SystemExit(f"no experiment {experiment!r} in {client.tracking_uri}; "
                         "pass --experiment or --tracking-uri")
    rows = []
    for run in client.search_runs([exp.experiment_id], max_results=50_000):
        tags, metrics = run.data.tags, run.data.metrics
        if "model" not in tags or tags.get(tracking.KIND) == tracking.schema.KIND_AGGREGATE:
            continue  # the sweep's parent run, a leaderboard row's seed aggregate
        primary = tags.get("primary_metric", "")
        rows.append((tags.get("dataset", "?"), tags["model"], tags.get("train_size", "?"),
                     tags.get("seed", "?"), metrics.get("train/seconds", 0.0),
                     metrics.get("train/epochs_run"), metrics.get("train/best_epoch"),
                     tags.get("zoo.stop_reason"), metrics.get(f"test/{primary}"),
                     run.info.status))
    return sorted(rows, key=lambda r: (r[0], r[1], size_key(r[2]), r[3]))


def _text(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "-" if value is None else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracking-uri", default=None)
    parser.add_argument("--experiment", default=tracking.DEFAULT_EXPERIMENT)
    args = parser.parse_args()
    client = MlflowClient(tracking_uri=args.tracking_uri or tracking.tracking_uri())
    rows = cell_rows(client, args.experiment)
    print(" ".join(COLUMNS))
    seconds: dict[str, float] = defaultdict(float)
    for row in rows:
        print(" ".join(_text(v) for v in row))
        seconds[row[0]] += row[4] or 0.0
    print("cells:", len(rows))
    print("training cell-seconds per dataset:", {k: round(v) for k, v in seconds.items()})
    print("stop reasons:", dict(Counter(r[7] for r in rows)))
    print("run status:", dict(Counter(r[9] for r in rows)))


if __name__ == "__main__":
    main()
