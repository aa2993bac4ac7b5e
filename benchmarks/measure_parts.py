"""Where a cell's measuring time goes: loading, batch-1 latency, batched throughput.

Times each part of zoo.cells.measure_cell for the first saved model of each MiniLM-family
variant (float, ONNX Runtime, int8, frozen) on one dataset's test split, one thread:
    python benchmarks/measure_parts.py ZOO_HOME [--dataset mr] [--throughput-examples 512]
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from zoo.data.prepare import prepare_dataset
from zoo.measure import THROUGHPUT_EXAMPLES, measure_latency, measure_throughput
from zoo.predictors import load_predictor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("zoo_home", type=Path)
    parser.add_argument("--dataset", default="mr")
    parser.add_argument("--prefix", default="minilm", help="models whose name starts so")
    parser.add_argument("--throughput-examples", type=int, default=THROUGHPUT_EXAMPLES)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = prepare_dataset(args.dataset, cache_dir=args.zoo_home / "data")
    test = data.splits["test"]
    seen: set[str] = set()
    for meta_file in sorted((args.zoo_home / "models").glob("*/meta.json")):
        meta = json.loads(meta_file.read_text())
        model = meta["model"]
        if (not model.startswith(args.prefix) or model in seen
                or meta["task"] != data.card.task or set(meta["labels"]) != set(data.labels)):
            continue
        seen.add(model)
        t0 = time.perf_counter()
        predictor, _ = load_predictor(meta_file.parent)
        t1 = time.perf_counter()
        latency = measure_latency(predictor, test, calls=200)
        t2 = time.perf_counter()
        throughput = measure_throughput(predictor, test, max_examples=args.throughput_examples)
        t3 = time.perf_counter()
        print(f"{model}: load {t1 - t0:.2f} s | latency 220 calls {t2 - t1:.2f} s (p50 "
              f"{latency.p50_ms:.1f} ms) | throughput over {args.throughput_examples} "
              f"{t3 - t2:.2f} s ({throughput['examples_per_s']:.0f} examples/s) | load "
              f"{os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
