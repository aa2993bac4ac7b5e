"""What a dropout mask costs on the CPU: torch's Bernoulli draw against the byte mask.

    .venv/bin/python benchmarks/dropout_cost.py [--threads 2] [--shape 64 14 512] [--reps 50]

Prints the median milliseconds (after warm-up) of: torch's F.dropout, the byte-mask dropout
of zoo/dropout.py, the int64 draw alone, and a matmul over the same rows for scale.
Forward only, training mode; run it on an otherwise idle machine and note the load.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
from torch.nn import functional as F

from zoo.dropout import byte_dropout


def median_ms(fn, reps: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--shape", type=int, nargs="+", default=[64, 14, 512])
    parser.add_argument("--p", type=float, default=0.1)
    parser.add_argument("--reps", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x = torch.randn(*args.shape)  # (batch, time, features)
    weight = torch.randn(args.shape[-1], args.shape[-1])
    words = torch.empty((x.numel() + 7) // 8, dtype=torch.int64)
    rows = {
        "F.dropout (bernoulli_)": lambda: F.dropout(x, args.p, training=True),
        "byte-mask dropout": lambda: byte_dropout(x, args.p),
        "int64 draw alone (n/8)": lambda: words.random_(torch.iinfo(torch.int64).min, None),
        f"matmul x @ W ({args.shape[-1]}^2)": lambda: x @ weight,
    }
    load = os.getloadavg()[0]
    print(f"shape {tuple(args.shape)}, p={args.p}, {args.threads} threads, load {load:.2f}")
    for name, fn in rows.items():
        print(f"  {name:<28} {median_ms(fn, args.reps):7.2f} ms")


if __name__ == "__main__":
    main()
