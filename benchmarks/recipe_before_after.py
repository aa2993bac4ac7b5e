"""A recipe change, before and after: one model on one dataset in two stores (the run before
the change and the run after it), at every size both measured, seeds averaged, compared by the
paired bootstrap over test examples as the leaderboard compares models:
    python benchmarks/recipe_before_after.py OLD_ZOO_HOME NEW_ZOO_HOME \
        --model transformer_small --dataset wnut16
Both stores must hold the same test set (the same data fingerprint) for a size to compare.
"""
from __future__ import annotations

import argparse
import os
from collections import defaultdict
from pathlib import Path

from reports.runs import SCALE
from reports.significance import compare_resampled, resample
from reports.tuning import example_arrays
from zoo.tracking import load_example_stats, load_runs, schema


def _by_size(home: Path, model: str, dataset: str) -> dict[str, tuple[list, dict]]:
    """size -> (finished runs of the model on the dataset, their per-example test stats)."""
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{home / 'mlflow.db'}"
    runs = [r for r in load_runs() if r["status"] == "FINISHED"
            and r["tags"].get(schema.MODEL) == model and r["tags"].get(schema.DATASET) == dataset
            and not r["tags"].get(schema.VARIANT)]
    stats = load_example_stats([r["run_id"] for r in runs], experiment=schema.EXPERIMENT)
    grouped: dict[str, list] = defaultdict(list)
    for run in runs:
        grouped[str(run["tags"].get(schema.TRAIN_SIZE))].append(run)
    return {size: (found, stats) for size, found in grouped.items()}


def _resampled(runs: list, stats: dict, metric: str):
    arrays = example_arrays(runs, stats, metric)
    return None if arrays is None else resample(arrays, metric)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("old_home", type=Path)
    parser.add_argument("new_home", type=Path)
    parser.add_argument("--model", required=True)
    parser.add_argument("--dataset", required=True)
    args = parser.parse_args()
    old = _by_size(args.old_home, args.model, args.dataset)
    new = _by_size(args.new_home, args.model, args.dataset)
    some_run = next(iter(new.values()))[0][0] if new else None
    if some_run is None:
        raise SystemExit(f"no finished {args.model} runs on {args.dataset} in {args.new_home}")
    metric = schema.PRIMARY_METRIC[some_run["tags"][schema.TASK]]
    scale = SCALE.get(metric, 1.0)
    print(f"{args.model} on {args.dataset}, {metric}: after - before, paired bootstrap "
          "over test examples, seeds averaged")
    for size in sorted(set(old) & set(new), key=float):
        (old_runs, old_stats), (new_runs, new_stats) = old[size], new[size]
        comparison = compare_resampled(_resampled(new_runs, new_stats, metric),
                                       _resampled(old_runs, old_stats, metric))
        seconds = [sum(float(r["metrics"].get(schema.TRAIN_SECONDS, 0)) for r in runs)
                   for runs in (old_runs, new_runs)]
        means = [sum(float(r["metrics"][schema.TEST_PRIMARY]) for r in runs) / len(runs) * scale
                 for runs in (old_runs, new_runs)]
        if comparison.diff is None:
            verdict = "not comparable (test statistics missing or differ)"
        else:
            low, high = comparison.ci
            verdict = (f"{comparison.diff:+.1f} [{low:+.1f}, {high:+.1f}] "
                       f"{'significant' if comparison.significant else 'no detectable difference'}")
        print(f"size {size}: before {means[0]:.1f} ({len(old_runs)} seeds, {seconds[0]:.0f} s) "
              f"after {means[1]:.1f} ({len(new_runs)} seeds, {seconds[1]:.0f} s): {verdict}")


if __name__ == "__main__":
    main()
