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
from zoo.registry import DataInfo


class SequenceClassifier(nn.Module):
    def __init__(self, encoder: nn.Module, head: ClassificationHead,
                 label_smoothing: float = 0.0):
        super().__init__()
        self.encoder = encoder
        self.head = head
        self.label_smoothing = label_smoothing

    def logits(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(ids, mask), mask)  # (B, C)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.logits(ids, mask)

    def loss(self, batch: Batch) -> torch.Tensor:
        return F.cross_entropy(self.logits(batch.ids, batch.mask), batch.labels,
                               label_smoothing=self.label_smoothing)

    @torch.no_grad()
    def predict(self, batch: Batch) -> list[int]:
        return self.logits(batch.ids, batch.mask).argmax(-1).tolist()


class SequenceTagger(nn.Module):
    def __init__(self, encoder: nn.Module, head: SoftmaxTagHead | CrfTagHead):
        super().__init__()
        self.encoder = encoder
        self.head = head

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.head.out(self.encoder(ids, mask))  # (B, T, K) emission scores

    def loss(self, batch: Batch) -> torch.Tensor:
        return self.head.loss(self.encoder(batch.ids, batch.mask), batch.mask, batch.tags)

    @torch.no_grad()
    def predict(self, batch: Batch) -> list[list[int]]:
        return self.head.decode(self.encoder(batch.ids, batch.mask), batch.mask)


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
