"""Where one benchmark cell's training time goes: training steps vs the per-epoch dev score.

Trains a cell exactly as the benchmark does (zoo.cells.train_cell, its recipe and the
profile's budget) with the dev-scoring callback timed, and prints per epoch the seconds of
training steps and of dev scoring. Run alone on an idle machine (it prints the load).

    .venv/bin/python benchmarks/cell_profile.py --model seq2seq_transformer_small \
        --dataset tatoeba-en-es --size 3000 --threads 1
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--size", type=float, required=True)
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="TrainConfig override key=value (repeatable)")
    args = parser.parse_args()

    import torch

    import zoo.cells as cells
    from zoo.configs import parse_overrides
    from zoo.sweep.datastore import load_data, pretrain_corpus

    torch.set_num_threads(args.threads)
    size = int(args.size) if args.size > 1 else args.size
    data = load_data(args.dataset, os.environ.get("ZOO_DATA_MIRROR"))
    spec = cells.CellSpec(data.task, data.name, args.model, size, args.seed, profile=args.profile,
                          overrides=tuple(parse_overrides(args.overrides).items()))
    dev_seconds: list[float] = []
    real_train_model = cells.train_model

    def timed_train_model(*a, dev_score, **kw):
        def timed(model):
            start = time.perf_counter()
            score = dev_score(model)
            dev_seconds.append(time.perf_counter() - start)
            return score
        return real_train_model(*a, dev_score=timed, **kw)

    cells.train_model = timed_train_model
    print(f"load before: {os.getloadavg()[0]:.2f}, threads {args.threads}, {spec.label}")
    with tempfile.TemporaryDirectory() as work:
        trained = cells.train_cell(spec, data, Path(work),
                                   corpus=lambda lang: pretrain_corpus(lang, os.environ.get(
                                       "ZOO_DATA_MIRROR")))
    print("epoch  dev_score  train_s  dev_s")
    for log, dev_s in zip(trained.epochs, dev_seconds):
        print(f"{log['epoch']:5d}  {log['dev_score']:9.4f}  {log['seconds'] - dev_s:7.2f}  "
              f"{dev_s:5.2f}")
    total_dev = sum(dev_seconds)
    total = sum(e["seconds"] for e in trained.epochs)
    print(f"total {total:.1f} s: training steps {total - total_dev:.1f} s, dev scoring "
          f"{total_dev:.1f} s ({100 * total_dev / max(total, 1e-9):.0f} %); "
          f"load after {os.getloadavg()[0]:.2f}")
    print(f"stop {trained.stop_reason}; test {trained.test}")


if __name__ == "__main__":
    main()
