"""Task models: an encoder (tokens -> states) joined to a task head (loss, decoding).

Every neural model in the zoo is one of these, so the training loop, the predictor and the
contract tests treat them alike: `loss(batch)` for training, `predict(batch)` for inference.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from zoo.batching import Batch
from zoo.heads.classification import ClassificationHead
from zoo.heads.tagging import CrfTagHead, SoftmaxTagHead
from zoo.model_catalog import DataInfo


class _Encoded(nn.Module):
    """An encoder with a head. An encoder that reads characters says how many per word in
    `max_chars` (the collator then builds `batch.chars`) and takes them as a third input."""

    encoder: nn.Module

    @property
    def max_chars(self) -> int:
        return int(getattr(self.encoder, "max_chars", 0))

    @property
    def subwords(self):
        """The encoder's WordPieces when it reads subword pieces (zoo.encoders.bert)."""
        return getattr(self.encoder, "subwords", None)

    def encode_batch(self, batch: Batch) -> torch.Tensor:
        """(B, T, D) word states of a collated batch, whatever the encoder reads."""
        if self.subwords is not None:
            if batch.pieces is None:
                raise ValueError(f"{type(self.encoder).__name__} reads subword pieces, but the "
                                 "batch has none: build its collator with "
                                 "zoo.batching.collator_for(model, info, max_len)")
            return self.encoder(batch.pieces, batch.starts, batch.mask)  # (B, T, D)
        return self.encode(batch.ids, batch.mask, batch.chars)  # (B, T, D)

    def encode(self, ids: torch.Tensor, mask: torch.Tensor,
               chars: torch.Tensor | None = None) -> torch.Tensor:
        if chars is None:
            if self.max_chars:
                raise ValueError(f"{type(self.encoder).__name__} reads each word's characters, "
                                 "but the batch has none: build its collator with "
                                 "zoo.batching.collator_for(model, info, max_len)")
            return self.encoder(ids, mask)  # (B, T, D)
        return self.encoder(ids, mask, chars)  # (B, T, D)


class SequenceClassifier(_Encoded):
    def __init__(self, encoder: nn.Module, head: ClassificationHead,
                 label_smoothing: float = 0.0):
        super().__init__()
        self.encoder = encoder
        self.head = head
        self.label_smoothing = label_smoothing

    def logits(self, ids: torch.Tensor, mask: torch.Tensor,
               chars: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.encode(ids, mask, chars), mask)  # (B, C)

    def batch_logits(self, batch: Batch) -> torch.Tensor:
        return self.head(self.encode_batch(batch), batch.mask)  # (B, C)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor,
                chars: torch.Tensor | None = None) -> torch.Tensor:
        return self.logits(ids, mask, chars)

    def loss(self, batch: Batch) -> torch.Tensor:
        return F.cross_entropy(self.batch_logits(batch), batch.labels,
                               label_smoothing=self.label_smoothing)

    @torch.no_grad()
    def predict(self, batch: Batch) -> list[int]:
        return self.batch_logits(batch).argmax(-1).tolist()


class SequenceTagger(_Encoded):
    def __init__(self, encoder: nn.Module, head: SoftmaxTagHead | CrfTagHead):
        super().__init__()
        self.encoder = encoder
        self.head = head

    def forward(self, ids: torch.Tensor, mask: torch.Tensor,
                chars: torch.Tensor | None = None) -> torch.Tensor:
        return self.head.out(self.encode(ids, mask, chars))  # (B, T, K) emission scores

    def loss(self, batch: Batch) -> torch.Tensor:
        states = self.encode_batch(batch)  # (B, T, D)
        return self.head.loss(states, batch.mask, batch.tags)

    @torch.no_grad()
    def predict(self, batch: Batch) -> list[list[int]]:
        return self.head.decode(self.encode_batch(batch), batch.mask)


def classifier_or_tagger(encoder: nn.Module, info: DataInfo, *, pooling: str = "mean",
                         crf: bool = False, dropout: float = 0.0) -> nn.Module:
    """Put the right head for `info.task` on a token encoder."""
    dim = encoder.output_dim
    if info.task == "sentiment":
        return SequenceClassifier(encoder, ClassificationHead(dim, len(info.labels), pooling,
                                                              dropout))
    if info.task == "ner":
        head_cls = CrfTagHead if crf else SoftmaxTagHead
        return SequenceTagger(encoder, head_cls(dim, info.labels, dropout))
    raise ValueError(f"no classifier/tagger head for task {info.task!r}")
