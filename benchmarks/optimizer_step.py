"""Cost of one optimizer step on a zoo-sized parameter set, per AdamW implementation.

A small model's embedding table (vocabulary x 100) holds most of its parameters, so the
optimizer step, not the forward pass, can dominate a CPU training step of a cheap encoder
(the Kim CNN). Times `AdamW.step()` (+ gradient clipping) with the for-loop, foreach and
fused implementations after warm-up, median of repeats.

    .venv/bin/python benchmarks/optimizer_step.py --vocab 18000 --threads 1,2
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn


def _model(vocab: int) -> nn.Module:
    # cnn_small-like: 100-d embeddings, three 100-channel convolutions, a linear head.
    return nn.Sequential(nn.Embedding(vocab, 100),
                         *[nn.Conv1d(100, 100, k) for k in (3, 4, 5)], nn.Linear(300, 2))


def _time(variant: str, vocab: int, clip: bool, repeats: int) -> float:
    torch.manual_seed(0)
    model = _model(vocab)
    kwargs = {"foreach": False} if variant == "for-loop" else {variant: True}
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, **kwargs)
    for p in model.parameters():
        p.grad = torch.randn_like(p)
    times = []
    for i in range(repeats + 5):
        start = time.perf_counter()
        if clip:
            nn.utils.clip_grad_norm_(model.parameters(), 1.0, foreach=variant != "for-loop")
        opt.step()
        if i >= 5:  # the first steps allocate the moment buffers
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab", type=int, default=18000)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    params = sum(p.numel() for p in _model(args.vocab).parameters())
    print(f"{params / 1e6:.2f} M parameters; ms per step (median of {args.repeats})")
    print(f"{'threads':>7s} {'variant':>9s} {'step':>7s} {'clip+step':>10s}")
    for threads in (int(t) for t in args.threads.split(",")):
        torch.set_num_threads(threads)
        for variant in ("for-loop", "foreach", "fused"):
            step = _time(variant, args.vocab, False, args.repeats)
            both = _time(variant, args.vocab, True, args.repeats)
            print(f"{threads:7d} {variant:>9s} {step:7.2f} {both:10.2f}")


if __name__ == "__main__":
    main()
