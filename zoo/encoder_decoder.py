"""Encoder-decoder task models for translation: loss by teacher forcing, predict by search.

Vocabularies are word-level on both sides (the data layer lower-cases and word-tokenises;
zoo.cells builds them from the training subset). Why not subwords: no tokenizer library to
depend on or train, every output token is a word a reader can check, and Tatoeba sentences
are short and everyday, so a word vocabulary covers most of the text. The price is `<unk>`
for rare words (names, numbers, inflections not seen in training) on both sides: on a
20k-pair subset with words seen twice or more (the translation variants' default), 3.4% of
dev source and 6.4% of dev target tokens are unknown.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from zoo.batching import Batch
from zoo.data.vocab import BOS, EOS, PAD, Vocab
from zoo.heads.seq2seq import beam_search, greedy_search


@dataclass(frozen=True)
class DecodeConfig:
    """How `predict` searches. Max output length = min(a * source_length + b, limit)."""

    strategy: str = "greedy"  # greedy | beam
    beam_size: int = 1
    length_alpha: float = 0.6  # GNMT length normalisation exponent (beam only)
    max_len_a: int = 2
    max_len_b: int = 10
    max_len_limit: int = 100
    chunk: int = 128  # sentences decoded together (bounds memory on big predict calls)

    def __post_init__(self) -> None:
        if self.strategy not in ("greedy", "beam"):
            raise ValueError(f"decode strategy must be greedy or beam, got {self.strategy!r}")
        if self.beam_size < 1 or (self.strategy == "greedy" and self.beam_size != 1):
            raise ValueError("beam_size must be >= 1, and 1 for greedy decoding")

    def max_lens(self, src_lens: torch.Tensor) -> torch.Tensor:
        return (self.max_len_a * src_lens + self.max_len_b).clamp(max=self.max_len_limit)


class Seq2Seq(nn.Module):
    """`.encoder`: (B, S) ids + mask -> (B, S, D) memory; `.decoder`: see zoo.heads.seq2seq."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, target_vocab: Vocab,
                 decode: DecodeConfig, label_smoothing: float = 0.0):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.decode = decode
        self.label_smoothing = label_smoothing  # set from TrainConfig by zoo.cells
        self.bos, self.eos = target_vocab.id(BOS), target_vocab.id(EOS)
        # Never emitted: padding and <s> (they never occur as a gold next token).
        self.banned = (target_vocab.id(PAD), self.bos)

    def features(self, batch: Batch) -> torch.Tensor:
        """Teacher forcing: feed <s> y1..yn; features at t predict y_{t+1} (then </s>)."""
        memory = self.encoder(batch.ids, batch.mask)  # (B, S, D)
        return self.decoder.teacher_forced(memory, batch.mask, batch.target[:, :-1])  # (B,U,H)

    def logits(self, batch: Batch) -> torch.Tensor:
        return self.decoder.project(self.features(batch))  # (B, U, V)

    def loss(self, batch: Batch) -> torch.Tensor:
        gold = batch.target[:, 1:]  # (B, U), 0 = padding
        real = gold != 0
        # Only real positions go through the vocabulary projection (most of a step's cost).
        logits = self.decoder.project(self.features(batch)[real])  # (n, V)
        return F.cross_entropy(logits, gold[real], label_smoothing=self.label_smoothing)

    @torch.no_grad()
    def predict(self, batch: Batch) -> list[list[int]]:
        """Target token ids per sentence (no <s>, cut before </s>)."""
        out: list[list[int]] = []
        for start in range(0, len(batch), self.decode.chunk):
            ids = batch.ids[start: start + self.decode.chunk]  # (b, S)
            mask = batch.mask[start: start + self.decode.chunk]  # (b, S)
            out.extend(self.search(ids, mask))
        return out

    def search(self, ids: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        width = int(mask.sum(1).max())  # drop all-padding columns the chunk does not need
        ids, mask = ids[:, :width], mask[:, :width]
        state = self.decoder.start(self.encoder(ids, mask), mask)
        max_lens = self.decode.max_lens(mask.sum(1))  # (b,)
        if self.decode.strategy == "greedy":
            return greedy_search(self.decoder, state, max_lens, bos=self.bos, eos=self.eos,
                                 banned=self.banned)
        return beam_search(self.decoder, state, max_lens, beam=self.decode.beam_size,
                           bos=self.bos, eos=self.eos, alpha=self.decode.length_alpha,
                           banned=self.banned)

    def describe(self) -> dict[str, object]:
        d = self.decode
        settings = {
            "decode_strategy": d.strategy, "beam_size": d.beam_size,
            "length_normalisation": (f"GNMT ((5+len)/6)^{d.length_alpha}"
                                     if d.strategy == "beam" else "none"),
            "max_len_rule": f"min({d.max_len_a}*src_len+{d.max_len_b}, {d.max_len_limit})",
            "vocabulary": "word-level (source and target)",
        }
        return {**settings, **_describe_encoder(self.encoder), **self.decoder.describe()}


def _describe_encoder(encoder: nn.Module) -> dict[str, object]:
    if hasattr(encoder, "describe"):
        return encoder.describe()
    rnn = getattr(encoder, "rnn", None)  # zoo.encoders.recurrent.RecurrentEncoder
    if isinstance(rnn, nn.RNNBase):
        return {"encoder": ("bi" if rnn.bidirectional else "") + rnn.mode.lower(),
                "encoder_hidden": rnn.hidden_size, "encoder_layers": rnn.num_layers}
    return {"encoder": type(encoder).__name__}
