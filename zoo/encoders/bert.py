"""A BERT encoder in plain torch (Devlin et al. 2019), shaped to load pretrained checkpoints.

Readable in one sitting on purpose (nanoGPT's lesson): embeddings (word + position + type,
LayerNorm), then post-LN blocks of self-attention and a GELU feed-forward layer. The module
names differ from Hugging Face's, so `load_bert_state` maps a checkpoint's keys
(`encoder.layer.3.attention.self.query.weight` -> `layers.3.query.weight`) and refuses a
checkpoint with missing or unexpected tensors rather than loading it half.

The encoder reads subword pieces, not the zoo's word ids: `forward(pieces, starts, mask)`
returns one state per *word*, the state of the word's first piece (Devlin et al. 2019,
section 5.3), so task heads see `(B, T, D)` word states like every other encoder.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class BertConfig:
    vocab_size: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int = 512
    type_vocab: int = 2
    dropout: float = 0.1
    norm_eps: float = 1e-12


class _Block(nn.Module):
    """One post-LN transformer block: x = LN(x + attn(x)); x = LN(x + ffn(x))."""

    def __init__(self, cfg: BertConfig):
        super().__init__()
        self.heads = cfg.heads
        self.query = nn.Linear(cfg.hidden, cfg.hidden)
        self.key = nn.Linear(cfg.hidden, cfg.hidden)
        self.value = nn.Linear(cfg.hidden, cfg.hidden)
        self.attn_out = nn.Linear(cfg.hidden, cfg.hidden)
        self.attn_norm = nn.LayerNorm(cfg.hidden, eps=cfg.norm_eps)
        self.ffn_in = nn.Linear(cfg.hidden, cfg.ffn)
        self.ffn_out = nn.Linear(cfg.ffn, cfg.hidden)
        self.ffn_norm = nn.LayerNorm(cfg.hidden, eps=cfg.norm_eps)
        self.dropout = nn.Dropout(cfg.dropout)
        self.attn_dropout = cfg.dropout

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, s, d = x.shape
        return x.view(b, s, self.heads, d // self.heads).transpose(1, 2)  # (B, H, S, D/H)

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor) -> torch.Tensor:
        b, s, d = x.shape
        q, k, v = self._split(self.query(x)), self._split(self.key(x)), self._split(self.value(x))
        p = self.attn_dropout if self.training else 0.0
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=p)
        ctx = ctx.transpose(1, 2).reshape(b, s, d)  # (B, S, D)
        x = self.attn_norm(x + self.dropout(self.attn_out(ctx)))  # (B, S, D)
        h = self.ffn_out(F.gelu(self.ffn_in(x)))  # (B, S, D); exact (erf) GELU, as BERT
        return self.ffn_norm(x + self.dropout(h))  # (B, S, D)


class BertEncoder(nn.Module):
    """(B, S) piece ids + (B, T) first-piece positions + (B, T) word mask -> (B, T, D)."""

    def __init__(self, cfg: BertConfig):
        super().__init__()
        self.cfg = cfg
        self.word_embeddings = nn.Embedding(cfg.vocab_size, cfg.hidden, padding_idx=0)
        self.position_embeddings = nn.Embedding(cfg.max_positions, cfg.hidden)
        self.type_embeddings = nn.Embedding(cfg.type_vocab, cfg.hidden)
        self.embed_norm = nn.LayerNorm(cfg.hidden, eps=cfg.norm_eps)
        self.dropout = nn.Dropout(cfg.dropout)
        self.layers = nn.ModuleList(_Block(cfg) for _ in range(cfg.layers))
        self.output_dim = cfg.hidden
        self.apply(_init_weights)

    def piece_states(self, pieces: torch.Tensor) -> torch.Tensor:
        """(B, S) piece ids, 0 = padding -> (B, S, D) contextual piece states."""
        return self.piece_layers(pieces)[-1]

    def piece_layers(self, pieces: torch.Tensor) -> list[torch.Tensor]:
        """(B, S) piece ids -> L + 1 tensors (B, S, D): the embedding output, then each
        block's (what a frozen encoder's scalar mix combines, as ELMo mixes its layers)."""
        s = pieces.shape[1]
        positions = torch.arange(s, device=pieces.device)  # (S,)
        x = (self.word_embeddings(pieces) + self.position_embeddings(positions)
             + self.type_embeddings.weight[0])  # (B, S, D): one segment, type 0
        x = self.dropout(self.embed_norm(x))
        # Boolean mask, True = may attend; (B, 1, 1, S) broadcasts over heads and queries.
        attn_mask = (pieces != 0)[:, None, None, :]
        outs = [x]
        for layer in self.layers:
            outs.append(layer(outs[-1], attn_mask))  # (B, S, D)
        return outs

    def forward(self, pieces: torch.Tensor, starts: torch.Tensor,
                mask: torch.Tensor) -> torch.Tensor:
        return first_pieces(self.piece_states(pieces), starts, mask)  # (B, T, D)


def first_pieces(states: torch.Tensor, starts: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B, S, D) piece states -> (B, T, D) word states: each word's first piece."""
    index = starts.unsqueeze(-1).expand(-1, -1, states.shape[-1])  # (B, T, D)
    words = states.gather(1, index)  # (B, T, D)
    return words * mask.unsqueeze(-1).to(words.dtype)  # padding words are zero


def _init_weights(module: nn.Module) -> None:
    # BERT's initialisation (truncated normal, std 0.02); used when no checkpoint is loaded.
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.trunc_normal_(module.weight, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)


# Hugging Face BertModel key -> this module's key (`{i}` is the layer number).
_EMBEDDING_KEYS = {
    "embeddings.word_embeddings.weight": "word_embeddings.weight",
    "embeddings.position_embeddings.weight": "position_embeddings.weight",
    "embeddings.token_type_embeddings.weight": "type_embeddings.weight",
    "embeddings.LayerNorm.weight": "embed_norm.weight",
    "embeddings.LayerNorm.bias": "embed_norm.bias",
}
_LAYER_KEYS = {
    "attention.self.query": "query", "attention.self.key": "key",
    "attention.self.value": "value", "attention.output.dense": "attn_out",
    "attention.output.LayerNorm": "attn_norm", "intermediate.dense": "ffn_in",
    "output.dense": "ffn_out", "output.LayerNorm": "ffn_norm",
}
# Present in BERT checkpoints but not used by an encoder that feeds task heads.
_UNUSED = ("embeddings.position_ids", "pooler.")


def _map_key(key: str) -> str | None:
    if key in _EMBEDDING_KEYS:
        return _EMBEDDING_KEYS[key]
    if key.startswith(_UNUSED):
        return None
    prefix, _, rest = key.partition(".layer.")
    if prefix == "encoder" and rest:
        number, _, name = rest.partition(".")
        module, _, param = name.rpartition(".")
        if module in _LAYER_KEYS:
            return f"layers.{number}.{_LAYER_KEYS[module]}.{param}"
    raise ValueError(f"unexpected tensor {key!r} in the BERT checkpoint")


def load_bert_state(encoder: BertEncoder, safetensors_path: Path) -> None:
    """Load a Hugging Face BertModel checkpoint (safetensors: no pickle is ever read)."""
    raw = load_file(str(safetensors_path))
    state = {}
    for key, tensor in raw.items():
        mapped = _map_key(key)
        if mapped is not None:
            state[mapped] = tensor
    missing, unexpected = encoder.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"{safetensors_path} does not fit the encoder: missing {missing[:3]}, "
                         f"unexpected {unexpected[:3]}")
