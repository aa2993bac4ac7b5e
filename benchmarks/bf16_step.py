"""One fine-tuning step of all-MiniLM-L6-v2's shape (6 layers, 384 wide, batch 32 x 30
pieces, AdamW) in float32 and under CPU bfloat16 autocast, interleaved: is bfloat16 native
here (AVX512-BF16 / AMX), and how much faster is a step?

    python benchmarks/bf16_step.py [--threads 1] [--steps 6]

Random weights and pieces: this times the arithmetic only (quality is a sweep's question:
`zoo bench --models minilm_l6 --set amp=true`).
"""
from __future__ import annotations

import argparse
import os
import time

import torch

from zoo.device import bf16_autocast_ok
from zoo.encoders.bert import BertConfig, BertEncoder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    encoder = BertEncoder(BertConfig(vocab_size=30522, hidden=384, layers=6, heads=12, ffn=1536))
    head = torch.nn.Linear(384, 2)
    optimizer = torch.optim.AdamW([*encoder.parameters(), *head.parameters()], lr=2e-5)
    pieces = torch.randint(1000, 30000, (32, 30))  # (B, S)
    labels = torch.randint(0, 2, (32,))

    def step(bf16: bool) -> float:
        began = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            pooled = encoder.piece_states(pieces).mean(1)  # (B, D)
            loss = torch.nn.functional.cross_entropy(head(pooled).float(), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return time.perf_counter() - began

    for bf16 in (False, True, False, True):  # warm-up
        step(bf16)
    times: dict[bool, list[float]] = {False: [], True: []}
    for i in range(args.steps):
        for bf16 in ((False, True) if i % 2 == 0 else (True, False)):
            times[bf16].append(step(bf16))
    median = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    print(f"native bfloat16 here: {bf16_autocast_ok(torch.device('cpu'))}; threads "
          f"{args.threads}; load average {os.getloadavg()[0]:.2f}")
    print(f"float32 step {median[False] * 1000:.0f} ms, bfloat16 autocast step "
          f"{median[True] * 1000:.0f} ms: {median[False] / median[True]:.2f}x")


if __name__ == "__main__":
    main()
