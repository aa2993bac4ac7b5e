"""Scoring dev in float32 vs under bfloat16 autocast, on fine-tuned models a sweep saved:
how much time would the fine-tuning recipe's per-epoch dev pass save, and does it select the
same way (the dev score each precision gives the same weights)?

    python benchmarks/dev_autocast.py ZOO_HOME [--model minilm_l6] [--threads 1] [--repeats 3]

For every saved model folder of MODEL under ZOO_HOME/models, on its dataset's dev sample as the
standard profile draws it (1,000 examples): the median seconds of one dev pass each way
(interleaved, after a warm-up pass each) and both dev scores. Arms alternate in one process,
so both see the same load; the load average is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from zoo.data.prepare import prepare_dataset
from zoo.data.splits import dev_subset
from zoo.device import bf16_autocast_ok
from zoo.evaluate import evaluate
from zoo.predictors import load_predictor
from zoo.tracking.schema import PRIMARY_METRIC

DEV_LIMIT = 1000  # the standard profile's dev sample (zoo.configs, profile "standard")


def _time_pass(predictor, dev, bf16: bool) -> tuple[float, list]:
    began = time.perf_counter()
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        predictions = predictor(dev)
    return time.perf_counter() - began, predictions


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("zoo_home", type=Path)
    parser.add_argument("--model", default="minilm_l6")
    parser.add_argument("--datasets", default="mr,wnut16")
    parser.add_argument("--per-dataset", type=int, default=1, help="saved models per dataset")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"native bfloat16: {bf16_autocast_ok(torch.device('cpu'))}; threads {args.threads}; "
          f"load average at start {os.getloadavg()[0]:.2f}")
    data = {name: prepare_dataset(name, cache_dir=args.zoo_home / "data")
            for name in args.datasets.split(",")}
    done: dict[str, int] = {}
    for meta_file in sorted((args.zoo_home / "models").glob("*/meta.json")):
        meta = json.loads(meta_file.read_text())
        if meta["model"] != args.model:
            continue
        labels = set(meta["labels"])
        name = next((n for n, d in data.items()
                     if d.card.task == meta["task"] and set(d.labels) == labels), None)
        if name is None or done.get(name, 0) >= args.per_dataset:
            continue
        done[name] = done.get(name, 0) + 1
        prepared = data[name]
        dev = dev_subset(prepared.splits["dev"], DEV_LIMIT, prepared.card.task,
                         prepared.fingerprint)
        predictor, _ = load_predictor(meta_file.parent)
        primary = PRIMARY_METRIC[prepared.card.task]
        for bf16 in (False, True):  # warm-up, one pass each
            _time_pass(predictor, dev, bf16)
        seconds: dict[bool, list[float]] = {False: [], True: []}
        scores: dict[bool, float] = {}
        for i in range(args.repeats):
            for bf16 in ((False, True) if i % 2 == 0 else (True, False)):
                took, predictions = _time_pass(predictor, dev, bf16)
                seconds[bf16].append(took)
                scores[bf16] = evaluate(prepared.card.task, dev, predictions,
                                        ci=False).values[primary]
        med = {k: sorted(v)[len(v) // 2] for k, v in seconds.items()}
        print(f"{args.model} {name} ({meta_file.parent.name}, {len(dev)} dev): float32 "
              f"{med[False]:.2f} s dev {primary} {scores[False]:.4f} | bfloat16 "
              f"{med[True]:.2f} s dev {primary} {scores[True]:.4f} | "
              f"{med[False] / med[True]:.2f}x; load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
