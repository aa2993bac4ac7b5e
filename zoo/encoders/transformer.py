"""Transformer encoder: scaled token embeddings, sinusoidal positions, pre-LN self-attention.

    x = Embed(ids) * sqrt(d) + PE(position)          # Vaswani et al. 2017, section 3.4-3.5
    for each layer:                                  # pre-LayerNorm (Xiong et al. 2020)
        x = x + Dropout(SelfAttention(LN(x), key_padding_mask))
        x = x + Dropout(FeedForward(LN(x)))
    states = LN(x)                                   # pre-LN needs one final LayerNorm

Pre-LN keeps the residual path an identity, so gradients at initialisation are well scaled
and training is stable without the long warmup the original post-LN layout needs.

The layer is written out here (nanoGPT style, `F.scaled_dot_product_attention`) rather than
taken from `nn.TransformerEncoderLayer(norm_first=True)`: with torch 2.13 the legacy ONNX
export (`dynamo=False`) of `nn.MultiheadAttention` bakes the traced batch and length into
its reshapes, so the exported graph fails on any other shape. Here heads are split with
`unflatten` / `flatten`, which carry no sizes. Padding is a key mask: a real token never
attends to padding, so its state is the same whatever the padding holds or how long it is.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from zoo.dropout import Dropout


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(same): fixed, no parameters."""
    if dim % 2:
        raise ValueError(f"sinusoidal positions need an even dimension, got {dim}")
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)  # (L, 1)
    inv_freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32)
                         * (-math.log(10000.0) / dim))  # (D/2,)
    table = torch.zeros(length, dim)  # (L, D)
    table[:, 0::2] = torch.sin(position * inv_freq)
    table[:, 1::2] = torch.cos(position * inv_freq)
    return table


class TokenEmbedding(nn.Module):
    """ids -> Embed(ids) * sqrt(d) + sinusoidal position, then dropout. Shared by decoders."""

    def __init__(self, vocab_size: int, dim: int, dropout: float = 0.0,
                 max_positions: int = 1024):
        super().__init__()
        self.dim = dim
        self.token = nn.Embedding(vocab_size, dim)
        # std d^-1/2 so that the sqrt(d)-scaled embedding starts at unit variance, on the
        # same scale as the positions (and as logits when the weight is tied to the output).
        nn.init.normal_(self.token.weight, std=dim ** -0.5)
        # Not persistent: a pure function of the sizes, so it is not stored in checkpoints.
        self.register_buffer("positions", sinusoidal_positions(max_positions, dim),
                             persistent=False)
        self.dropout = Dropout(dropout)

    def forward(self, ids: torch.Tensor, offset: int = 0) -> torch.Tensor:
        """`offset`: position of ids[:, 0] (incremental decoding embeds one step at a time)."""
        end = offset + ids.shape[1]
        # Skipped under ONNX tracing, where the comparison would be frozen to a constant.
        if not torch.jit.is_tracing() and end > self.positions.shape[0]:
            raise ValueError(f"position {end} exceeds the {self.positions.shape[0]} positions")
        x = self.token(ids) * math.sqrt(self.dim)  # (B, T, D)
        return self.dropout(x + self.positions[offset:end])  # (B, T, D)


class MultiHeadAttention(nn.Module):
    """Scaled dot-product attention over `heads` heads; `allowed` is True where q may see k."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0):
        super().__init__()
        if dim % heads:
            raise ValueError(f"d_model {dim} is not divisible by {heads} heads")
        self.heads, self.dropout = heads, dropout
        self.query = nn.Linear(dim, dim)
        self.key_value = nn.Linear(dim, 2 * dim)
        self.out = nn.Linear(dim, dim)

    def keys_values(self, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """context (B, S, D) -> keys, values (B, H, S, Dh): cacheable during decoding."""
        k, v = (t.unflatten(-1, (self.heads, -1)).transpose(1, 2)
                for t in self.key_value(context).chunk(2, dim=-1))
        return k, v

    def attend(self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
               allowed: torch.Tensor | None) -> torch.Tensor:
        q = self.query(x).unflatten(-1, (self.heads, -1)).transpose(1, 2)  # (B, H, T, Dh)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed,
                                           dropout_p=self.dropout if self.training else 0.0)
        return self.out(y.transpose(1, 2).flatten(2))  # (B, T, D)

    def forward(self, x: torch.Tensor, context: torch.Tensor,
                allowed: torch.Tensor) -> torch.Tensor:
        """x (B, T, D) attends over context (B, S, D); allowed broadcasts to (B, 1, T, S)."""
        return self.attend(x, *self.keys_values(context), allowed)  # (B, T, D)


class FeedForward(nn.Sequential):
    def __init__(self, dim: int, ff_dim: int, dropout: float = 0.0):
        super().__init__(nn.Linear(dim, ff_dim), nn.GELU(), Dropout(dropout),
                         nn.Linear(ff_dim, dim))


class EncoderLayer(nn.Module):
    """Pre-LN block: x + SelfAttention(LN(x)), then x + FeedForward(LN(x))."""

    def __init__(self, dim: int, heads: int, ff_dim: int, dropout: float = 0.0):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attention = MultiHeadAttention(dim, heads, dropout)
        self.feed_forward = FeedForward(dim, ff_dim, dropout)
        self.dropout = Dropout(dropout)

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)  # (B, T, D)
        x = x + self.dropout(self.attention(h, h, allowed))  # (B, T, D)
        return x + self.dropout(self.feed_forward(self.norm2(x)))  # (B, T, D)


class TransformerEncoder(nn.Module):
    """(B, T) ids + (B, T) bool mask -> (B, T, D) states, D = d_model."""

    def __init__(self, vocab_size: int, *, d_model: int, layers: int, heads: int,
                 ff_dim: int, dropout: float = 0.1, max_positions: int = 1024):
        super().__init__()
        self.embed = TokenEmbedding(vocab_size, d_model, dropout, max_positions)
        self.layers = nn.ModuleList(EncoderLayer(d_model, heads, ff_dim, dropout)
                                    for _ in range(layers))
        self.norm = nn.LayerNorm(d_model)
        self.output_dim = d_model
        self.sizes = {"d_model": d_model, "layers": layers, "heads": heads, "ff_dim": ff_dim,
                      "dropout": dropout}

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.embed(ids)  # (B, T, D)
        allowed = mask[:, None, None, :]  # (B, 1, 1, T) every query sees the real keys
        for layer in self.layers:
            x = layer(x, allowed)  # (B, T, D)
        return self.norm(x)  # (B, T, D)

    def describe(self) -> dict[str, object]:
        return {"encoder": "transformer", "norm": "pre-LN", "positions": "sinusoidal",
                "activation": "gelu", "embedding_scale": "sqrt(d_model)",
                **{f"encoder_{k}": v for k, v in self.sizes.items()}}
