"""Sentence classification head: masked pooling over encoder states, then a linear layer."""
from __future__ import annotations

import torch
from torch import nn

from zoo.dropout import Dropout


class AttentionPooling(nn.Module):
    """Additive self-attention pooling (Bahdanau-style scoring of each state)."""

    def __init__(self, dim: int, attn_dim: int = 64):
        super().__init__()
        self.proj = nn.Linear(dim, attn_dim)
        self.score = nn.Linear(attn_dim, 1, bias=False)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        scores = self.score(torch.tanh(self.proj(states))).squeeze(-1)  # (B, T)
        scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)  # (B, T)
        return torch.einsum("bt,btd->bd", weights, states)  # (B, D)


class ClassificationHead(nn.Module):
    def __init__(self, input_dim: int, num_labels: int, pooling: str = "mean",
                 dropout: float = 0.0):
        super().__init__()
        if pooling not in ("mean", "max", "meanmax", "attention"):
            raise ValueError(f"unknown pooling {pooling!r}")
        self.pooling = pooling
        self.attention = AttentionPooling(input_dim) if pooling == "attention" else None
        pooled_dim = input_dim * (2 if pooling == "meanmax" else 1)
        self.dropout = Dropout(dropout)
        self.out = nn.Linear(pooled_dim, num_labels)

    def pool(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.unsqueeze(-1).to(states.dtype)  # (B, T, 1)
        mean = (states * m).sum(1) / m.sum(1).clamp(min=1.0)  # (B, D)
        if self.pooling == "mean":
            return mean
        if self.attention is not None:
            return self.attention(states, mask)
        mx = states.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(1).values  # (B, D)
        return mx if self.pooling == "max" else torch.cat([mean, mx], dim=-1)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(self.pool(states, mask)))  # (B, C) logits
