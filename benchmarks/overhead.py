"""Orchestration overhead: the same matrix as plain function calls vs the Prefect flow.

Plain: for each cell, `zoo.cells.train_cell` then `zoo.cells.measure_cell` (no Prefect, no
MLflow). Flow: `flows.benchmark.benchmark` (ephemeral Prefect, MLflow logging, report).
Both start from a warm data cache and run one cell at a time with the same torch thread
count (the flow's default runs cells side by side, which would hide its overhead). The
ephemeral Prefect server start is reported separately by running a trivial flow first.
Registering the recommended models in the MLflow registry is switched off in the flow arm
(the flow's `register_picks=False`): it is a product step, not orchestration; rendering is counted.

    .venv/bin/python benchmarks/overhead.py                                  # small matrix
    .venv/bin/python benchmarks/overhead.py --profile quick --models profile # the main job

The small matrix (8 cells of ~1 s) measures the fixed costs: process start, one MLflow run
per cell, the report; the quick profile is the issue's yardstick.
"""
from __future__ import annotations

import argparse
import functools
import os
import tempfile
import time
from pathlib import Path


def run_plain(cells, latency_calls: int) -> float:
    from zoo.cells import measure_cell, train_cell
    from zoo.sweep.datastore import load_data, pretrain_corpus
    from zoo.sweep.workers import default_parallelism, set_threads

    set_threads(default_parallelism(1)[1])  # what the flow's task sets
    start = time.perf_counter()
    # A fresh parent too: pretrained biLMs are cached beside the models folder.
    work = Path(tempfile.mkdtemp(prefix="overhead-plain-")) / "models"
    trained = []
    # The flow's biLM too: pretrained on the language's corpus, not each dataset's own text.
    corpus = functools.partial(pretrain_corpus, mirror=None)
    for spec in cells:
        data = load_data(spec.dataset)
        trained.append((train_cell(spec, data, work, corpus=corpus), data))
    for cell, data in trained:
        measure_cell(Path(cell.model_dir), data, latency_calls=latency_calls)
    return time.perf_counter() - start


def server_cpu_seconds() -> float:
    """CPU seconds used so far by the ephemeral Prefect server (a child process of this one)."""
    import psutil

    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            if "prefect.server" in " ".join(child.cmdline()):
                times = child.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--models", default="tiny_lstm,tiny_gru,tfidf_logreg")
    parser.add_argument("--datasets", default="mr")
    parser.add_argument("--sizes", default="500,1000")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--latency-calls", type=int, default=200)
    args = parser.parse_args()
    full_profile = args.profile != "quick" or args.models == "profile"
    os.environ["ZOO_HOME"] = tempfile.mkdtemp(prefix="overhead-home-")
    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")
    os.environ.setdefault("PREFECT_HOME", str(Path(os.environ["ZOO_HOME"]) / "prefect"))
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    from prefect import flow

    from flows.benchmark import benchmark
    from zoo.sweep.datastore import load_data
    from zoo.sweep.matrix import parse_names, parse_sizes
    from zoo.sweep.plan import plan_cells

    matrix = {} if full_profile else {"models": parse_names(args.models),
                                      "datasets": parse_names(args.datasets),
                                      "train_sizes": parse_sizes(args.sizes),
                                      "overrides": {"epochs": args.epochs}}
    cells = plan_cells(args.profile, **matrix)
    for name in {c.dataset for c in cells}:
        load_data(name)  # warm the data cache for both arms

    t0 = time.perf_counter()
    flow(name="warm-up")(lambda: None)()
    server_start = time.perf_counter() - t0

    plain = run_plain(cells, args.latency_calls)
    server_before, t0 = server_cpu_seconds(), time.perf_counter()
    result = benchmark(profile=args.profile, latency_calls=args.latency_calls, parallel=1,
                       register_picks=False, **matrix)
    orchestrated = time.perf_counter() - t0
    server_cpu = server_cpu_seconds() - server_before
    print(f"cells: {len(cells)} ({result['counts']})")
    print(f"ephemeral Prefect server start (once per process): {server_start:.1f} s")
    print(f"plain function calls:              {plain:.1f} s")
    print(f"Prefect flow + MLflow + report:    {orchestrated:.1f} s")
    print(f"ephemeral server CPU during the flow: {server_cpu:.1f} s "
          f"({server_cpu / orchestrated:.1%} of the flow's wall time, of "
          f"{os.cpu_count()} cores)")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print(f"overhead: {orchestrated / plain - 1:+.1%} (ratio {orchestrated / plain:.3f})")


if __name__ == "__main__":
    main()
