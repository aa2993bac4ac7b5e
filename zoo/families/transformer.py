"""Transformer encoder variants for sentiment (mean pooling) and NER (softmax or CRF head).

Pre-LN layers, sinusoidal positions (see zoo/encoders/transformer.py). Trained from scratch:
warmup then inverse-square-root decay, the schedule the architecture was introduced with.
Each variant is a small function with literal sizes; `tiny_*` variants exist for tests.
"""
from __future__ import annotations

from torch import nn

from zoo import recipes
from zoo.encoder_head import SequenceClassifier, SequenceTagger
from zoo.encoders.transformer import TransformerEncoder
from zoo.heads.classification import ClassificationHead
from zoo.heads.tagging import CrfTagHead, SoftmaxTagHead
from zoo.model_catalog import DataInfo, Twins, register_model

CLS_TAG = ("sentiment", "ner")
# Noam-style schedule: linear warmup over 200 steps, then lr * sqrt(200 / step). The tiny
# test variants train with the schedule alone; the others with recipes.TRANSFORMER.
TRAIN_DEFAULTS = recipes.TRANSFORMER_SCHEDULE


class _DescribeEncoder:
    """Adds the optional `describe()` hook (logged with every run) from the encoder's sizes."""

    encoder: TransformerEncoder

    def describe(self) -> dict[str, object]:
        return self.encoder.describe()


class TransformerClassifier(_DescribeEncoder, SequenceClassifier):
    pass


class TransformerTagger(_DescribeEncoder, SequenceTagger):
    pass


def _build(info: DataInfo, *, d_model: int, layers: int, heads: int, ff_dim: int,
           dropout: float, crf: bool = False) -> nn.Module:
    encoder = TransformerEncoder(len(info.vocab), d_model=d_model, layers=layers, heads=heads,
                                 ff_dim=ff_dim, dropout=dropout)
    dim = encoder.output_dim
    if info.task == "sentiment":
        return TransformerClassifier(encoder, ClassificationHead(dim, len(info.labels), "mean",
                                                                 dropout))
    if info.task == "ner":
        head_cls = CrfTagHead if crf else SoftmaxTagHead
        return TransformerTagger(encoder, head_cls(dim, info.labels, dropout))
    raise ValueError(f"no transformer classifier/tagger for task {info.task!r}")


@register_model("tiny_transformer", family="transformer", tasks=CLS_TAG, size="tiny",
                train_defaults=TRAIN_DEFAULTS)
def tiny_transformer(info: DataInfo):
    """Pre-LN Transformer encoder, d=32, 2 layers, 2 heads, ff 64 (tests only)."""
    return _build(info, d_model=32, layers=2, heads=2, ff_dim=64, dropout=0.0)


@register_model("transformer_small", family="transformer", tasks=CLS_TAG, size="small",
                **recipes.TRANSFORMER)
def transformer_small(info: DataInfo):
    """Pre-LN Transformer encoder, d=128, 2 layers, 4 heads, ff 256, dropout 0.1."""
    return _build(info, d_model=128, layers=2, heads=4, ff_dim=256, dropout=0.1)


@register_model("transformer_base", family="transformer", tasks=CLS_TAG, size="base",
                twins=Twins(small="transformer_small"), **recipes.TRANSFORMER)
def transformer_base(info: DataInfo):
    """Pre-LN Transformer encoder, d=256, 4 layers, 4 heads, ff 512, dropout 0.1."""
    return _build(info, d_model=256, layers=4, heads=4, ff_dim=512, dropout=0.1)


@register_model("tiny_transformer_crf", family="transformer_crf", tasks=("ner",), size="tiny",
                crf=True, twins=Twins(no_crf="tiny_transformer"), train_defaults=TRAIN_DEFAULTS)
def tiny_transformer_crf(info: DataInfo):
    """Pre-LN Transformer encoder + BIO-constrained CRF, d=32, 2 layers (tests only)."""
    return _build(info, d_model=32, layers=2, heads=2, ff_dim=64, dropout=0.0, crf=True)


@register_model("transformer_crf_small", family="transformer_crf", tasks=("ner",), size="small",
                crf=True, twins=Twins(no_crf="transformer_small"), **recipes.TRANSFORMER)
def transformer_crf_small(info: DataInfo):
    """Pre-LN Transformer encoder + BIO-constrained CRF, d=128, 2 layers, 4 heads, ff 256."""
    return _build(info, d_model=128, layers=2, heads=4, ff_dim=256, dropout=0.1, crf=True)


@register_model("transformer_crf_base", family="transformer_crf", tasks=("ner",), size="base",
                crf=True, twins=Twins(no_crf="transformer_base", small="transformer_crf_small"),
                **recipes.TRANSFORMER)
def transformer_crf_base(info: DataInfo):
    """Pre-LN Transformer encoder + BIO-constrained CRF, d=256, 4 layers, 4 heads, ff 512."""
    return _build(info, d_model=256, layers=4, heads=4, ff_dim=512, dropout=0.1, crf=True)
