"""How long the decision guide takes to build and render as the benchmark grows.

Pure part only (no MLflow I/O): synthetic run dicts for M models x S sizes x K seeds on one
sentiment dataset, each with per-example statistics over N test examples (so every
comparison is a paired bootstrap), then `build_report` + HTML + Markdown rendering.

    python benchmarks/report_scale.py [--models 12] [--sizes 4] [--seeds 3] [--examples 2000]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.build import build_report
from reports.markdown import render_markdown
from reports.registrations import planned
from reports.render import render_html


def synthetic(models: int, sizes: int, seeds: int, examples: int) -> tuple[list, dict]:
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 2, examples)
    env = {"cpu": "bench CPU", "cores": "2", "threads": "2", "device": "cpu",
           "torch_version": "2.13.0", "python_version": "3.11", "platform": "linux",
           "git_sha": "bench"}
    env_id = "|".join(env[k] for k in ("cpu", "cores", "threads", "device", "torch_version"))
    runs, stats, clock = [], {}, 1_700_000_000_000
    for m in range(models):
        for s in range(sizes):
            n = int(500 * 2 ** s)
            for seed in range(1, seeds + 1):
                acc = 0.6 + 0.25 * (1 - np.exp(-(s + 1) * (m + 1) / models)) + 0.005 * seed
                correct = rng.random(examples) < acc
                rows = np.stack([gold, np.where(correct, gold, 1 - gold)], axis=1)
                real = float(correct.mean())
                clock += 1000
                run_id = f"r{m}-{s}-{seed}"
                runs.append({
                    "run_id": run_id, "status": "FINISHED", "start_time": clock,
                    "end_time": clock + 500, "params": {},
                    "tags": {"model": f"model_{m:02d}", "family": f"f{m % 4}",
                             "task": "sentiment", "dataset": "mr", "train_size": str(n),
                             "seed": str(seed), "profile": "standard", "env_id": env_id,
                             "data_fingerprint": "fp", **env},
                    "metrics": {"test/accuracy": real, "test/accuracy_ci_low": real - 0.02,
                                "test/accuracy_ci_high": real + 0.02, "train/examples": n,
                                "latency/p50_ms": 0.2 * (m + 1), "latency/p90_ms": 0.3 * (m + 1),
                                "size/bytes": 1e5 * (m + 1), "size/params": 2.5e4 * (m + 1)}})
                stats[run_id] = {"stats": {"accuracy": rows, "macro_f1": rows}}
    return runs, stats


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", type=int, default=12)
    p.add_argument("--sizes", type=int, default=4)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--examples", type=int, default=2000)
    args = p.parse_args()
    runs, stats = synthetic(args.models, args.sizes, args.seeds, args.examples)
    t0 = time.perf_counter()
    report = build_report(runs, [], "bench", stats=stats)
    t1 = time.perf_counter()
    regs = planned(report)
    html = render_html(report, regs, "sqlite:///bench.db")
    t2 = time.perf_counter()
    render_markdown(report, regs, "sqlite:///bench.db")
    t3 = time.perf_counter()
    print(json.dumps({"runs": len(runs), "test_examples": args.examples,
                      "build_s": round(t1 - t0, 3), "html_s": round(t2 - t1, 3),
                      "markdown_s": round(t3 - t2, 3), "html_kb": round(len(html) / 1e3)}))


if __name__ == "__main__":
    main()
