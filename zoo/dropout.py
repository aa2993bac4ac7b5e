"""Dropout whose random mask is cheap on the CPU.

`nn.Dropout` draws one Bernoulli sample per element (`bernoulli_`), and on a CPU the draw is
the cost: 4.3 ms for a (64, 14, 512) activation on 2 idle cores, more than a 512 x 512
matmul over the same rows (2.8 ms), and about a quarter of a seq2seq Transformer training
step; this dropout takes 1.6 ms, of which the draw is 0.3 ms (benchmarks/dropout_cost.py). Here one 64-bit draw gives the mask bits of 8 elements: each
element keeps its byte's value against a threshold, so the drop probability is rounded to
a multiple of 1/256 (0.1 -> 0.1016, 0.3 -> 0.3008, 0.5 exactly) and the kept values are
scaled by 1 / (1 - that probability), so the expectation is unchanged as in torch.
On a GPU, or in eval mode, it is torch's own dropout (exact p; the GPU's RNG is cheap).
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

_LEVELS = 256  # one byte of randomness per element
_INT64_MIN = torch.iinfo(torch.int64).min


def byte_threshold(p: float) -> int:
    """How many of the 256 byte values drop an element: the effective p is this / 256."""
    return round(p * _LEVELS)


def byte_dropout(x: torch.Tensor, p: float) -> torch.Tensor:
    """Training-mode dropout with a byte mask (CPU); p rounded to a multiple of 1/256."""
    drop = byte_threshold(p)
    if drop <= 0:
        return x
    if drop >= _LEVELS:
        return torch.zeros_like(x)
    n = x.numel()
    # random_() alone draws from [0, 2**63), which leaves each word's top byte below 128;
    # from int64's minimum with no upper bound it fills all 64 bits uniformly.
    words = torch.empty((n + 7) // 8, dtype=torch.int64, device=x.device)
    words.random_(_INT64_MIN, None)
    keep = words.view(torch.uint8)[:n].reshape(x.shape) >= drop  # (same as x) bool
    return x * keep * (_LEVELS / (_LEVELS - drop))


class Dropout(nn.Module):
    """Drop-in for nn.Dropout(p): the byte mask on the CPU while training, torch's otherwise."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability {p} is not in [0, 1]")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if x.device.type != "cpu":
            return F.dropout(x, self.p, training=True)
        return byte_dropout(x, self.p)

    def extra_repr(self) -> str:
        return f"p={self.p} (effective {byte_threshold(self.p) / _LEVELS:.4f} on the CPU)"
