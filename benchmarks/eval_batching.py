"""Whole-split prediction: one padded batch (the old way) vs length-sorted chunks.

Times `predictor(split)` both ways on saved model folders and checks the predictions agree.

    .venv/bin/python benchmarks/eval_batching.py .zoo/models/<key> [<key> ...] --split test
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch


def _time(fn, repeat: int) -> tuple[float, list]:
    best, out = float("inf"), []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dirs", nargs="+", type=Path)
    parser.add_argument("--split", default="test")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--dataset", help="dataset name (default: read from the run's folder)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    from zoo.models import get_entry
    from zoo.predictors import load_predictor
    from zoo.sweep.datastore import load_data

    for folder in args.model_dirs:
        meta = json.loads((folder / "meta.json").read_text())
        if get_entry(meta["model"]).kind == "classical":
            continue
        dataset = args.dataset or {"sentiment": "mr", "ner": "wnut16",
                                   "translation": "tatoeba-en-es"}[meta["task"]]
        examples = load_data(dataset).splits[args.split]
        predictor, _ = load_predictor(folder)
        one, before = _time(lambda p=predictor: p._predict_batch(examples), args.repeat)
        chunked, after = _time(lambda p=predictor: p(examples), args.repeat)
        agree = sum(a == b for a, b in zip(before, after, strict=True)) / len(examples)
        print(f"{meta['model']:28s} {dataset:14s} n={len(examples):5d}  one batch {one:7.2f} s"
              f"  sorted chunks {chunked:7.2f} s  x{one / chunked:5.1f}  same output {agree:.1%}")


if __name__ == "__main__":
    main()
