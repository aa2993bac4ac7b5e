"""Convolutional encoder: multi-width 1-D convolutions over word embeddings.

One layer of widths 3, 4, 5 is Kim's (2014) sentence CNN once the classification head
max-pools over time; stacked layers of odd widths make a same-length tagger encoder
(Collobert et al. 2011 style). Every layer keeps the sequence length, so the encoder meets
the zoo contract `(B, T) ids + mask -> (B, T, D)`.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from zoo.dropout import Dropout


class MultiWidthConv(nn.Module):
    """Parallel convolutions of several widths, concatenated: (B, T, In) -> (B, T, C * len(widths))."""

    def __init__(self, input_dim: int, widths: Sequence[int], channels: int):
        super().__init__()
        self.widths = tuple(widths)
        self.convs = nn.ModuleList(nn.Conv1d(input_dim, channels, w) for w in self.widths)
        self.output_dim = channels * len(self.widths)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # Zero the padded positions first: a real token's window may reach past the sentence
        # end, and there it must see exactly the zeros the sentence would see alone.
        x = x.masked_fill(~mask.unsqueeze(-1), 0.0).transpose(1, 2)  # (B, In, T)
        outs = []
        for width, conv in zip(self.widths, self.convs):
            # "Same" padding; an even width takes the extra position on the right.
            left, right = (width - 1) // 2, width // 2
            outs.append(conv(F.pad(x, (left, right))))  # (B, C, T)
        return torch.relu(torch.cat(outs, dim=1)).transpose(1, 2)  # (B, T, C * W)


class ConvEncoder(nn.Module):
    """(B, T) ids + mask -> (B, T, D) states, D = channels * len(widths).

    Layers after the first add their input back (residual), which keeps deeper tagging
    stacks trainable with plain Adam.
    """

    def __init__(self, vocab_size: int, *, embed_dim: int, widths: Sequence[int],
                 channels: int, layers: int = 1, dropout: float = 0.0):
        super().__init__()
        if layers < 1:
            raise ValueError("layers must be at least 1")
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.dropout = Dropout(dropout)
        first = MultiWidthConv(embed_dim, widths, channels)
        rest = [MultiWidthConv(first.output_dim, widths, channels) for _ in range(layers - 1)]
        self.blocks = nn.ModuleList([first, *rest])
        self.output_dim = first.output_dim
        nn.init.normal_(self.embed.weight, std=0.1)
        with torch.no_grad():
            self.embed.weight[0].zero_()

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.dropout(self.embed(ids))  # (B, T, E)
        for i, block in enumerate(self.blocks):
            out = block(h, mask)  # (B, T, D)
            h = self.dropout(out if i == 0 else out + h)
        return h  # (B, T, D)
