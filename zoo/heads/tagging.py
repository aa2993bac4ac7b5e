"""Token tagging heads for NER: independent softmax per token, or a linear-chain CRF.

The CRF is allennlp-light's `ConditionalRandomField`, constrained with `allowed_transitions`
so Viterbi decoding can never output an I- tag that does not continue an entity (BIO);
decoding is zoo.heads.viterbi's batched pass over the same potentials.
"""
from __future__ import annotations

import torch
from allennlp_light.modules.conditional_random_field.conditional_random_field import (
    ConditionalRandomField,
    allowed_transitions,
)
from torch import nn
from torch.nn import functional as F

from zoo.dropout import Dropout
from zoo.heads.viterbi import crf_potentials, viterbi_paths


class SoftmaxTagHead(nn.Module):
    def __init__(self, input_dim: int, tags: tuple[str, ...], dropout: float = 0.0):
        super().__init__()
        self.dropout = Dropout(dropout)
        self.out = nn.Linear(input_dim, len(tags))

    def loss(self, states: torch.Tensor, mask: torch.Tensor, tags: torch.Tensor) -> torch.Tensor:
        logits = self.out(self.dropout(states))  # (B, T, K)
        return F.cross_entropy(logits[mask], tags[mask])

    def decode(self, states: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        best = self.out(states).argmax(-1)  # (B, T)
        lengths = mask.sum(1).tolist()
        return [row[:n] for row, n in zip(best.tolist(), lengths)]


class CrfTagHead(nn.Module):
    def __init__(self, input_dim: int, tags: tuple[str, ...], dropout: float = 0.0):
        super().__init__()
        self.dropout = Dropout(dropout)
        self.out = nn.Linear(input_dim, len(tags))
        constraints = allowed_transitions("BIO", dict(enumerate(tags)))
        self.crf = ConditionalRandomField(len(tags), constraints=constraints,
                                          include_start_end_transitions=True)
        self._potentials: tuple | None = None  # (parameter versions, crf_potentials)

    def loss(self, states: torch.Tensor, mask: torch.Tensor, tags: torch.Tensor) -> torch.Tensor:
        logits = self.out(self.dropout(states))  # (B, T, K)
        log_likelihood = self.crf(logits, tags, mask)  # summed over the batch
        return -log_likelihood / states.shape[0]

    def decode(self, states: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        logits = self.out(states)  # (B, T, K)
        # = crf.viterbi_tags, batched (viterbi.py); the potentials are re-read only after a
        # parameter changed in place (an optimizer step, load_state_dict bump `_version`).
        version = tuple(p._version for p in self.crf.parameters())
        if self._potentials is None or self._potentials[0] != version:
            self._potentials = (version, crf_potentials(self.crf))
        lengths = mask.sum(1).cpu().numpy()  # (B,)
        return viterbi_paths(logits.detach().cpu().numpy(), lengths, *self._potentials[1])
