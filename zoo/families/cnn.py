"""CNN variants: Kim-style sentence CNN (widths 3/4/5, max-over-time) and a same-length
convolutional tagger (odd widths, stacked) for NER.

Each variant is a small function with literal sizes; `tiny_cnn` exists for tests.
"""
from __future__ import annotations

from zoo import recipes
from zoo.encoder_head import classifier_or_tagger
from zoo.encoders.cnn import ConvEncoder
from zoo.model_catalog import DataInfo, Twins, register_model

CLS_TAG = ("sentiment", "ner")
KIM_WIDTHS = (3, 4, 5)  # Kim (2014): one layer, max-over-time pooling in the head


def _build(info: DataInfo, *, embed: int, channels: int, tag_widths: tuple[int, ...],
           tag_layers: int, dropout: float):
    if info.task == "sentiment":
        encoder = ConvEncoder(len(info.vocab), embed_dim=embed, widths=KIM_WIDTHS,
                              channels=channels, layers=1, dropout=dropout)
        return classifier_or_tagger(encoder, info, pooling="max", dropout=dropout)
    # Tagging: odd widths centre each window on its token; stacking widens the context.
    encoder = ConvEncoder(len(info.vocab), embed_dim=embed, widths=tag_widths,
                          channels=channels, layers=tag_layers, dropout=dropout)
    return classifier_or_tagger(encoder, info, dropout=dropout)


@register_model("tiny_cnn", family="cnn", tasks=CLS_TAG, size="tiny")
def tiny_cnn(info: DataInfo):
    """CNN, 8 filters per width (tests only)."""
    return _build(info, embed=16, channels=8, tag_widths=(3, 5), tag_layers=2, dropout=0.0)


@register_model("cnn_small", family="cnn", tasks=CLS_TAG, size="small", **recipes.CNN)
def cnn_small(info: DataInfo):
    """Kim CNN, 100 filters x widths 3/4/5 (sentiment); 2 layers x widths 3/5 (NER)."""
    return _build(info, embed=100, channels=100, tag_widths=(3, 5), tag_layers=2,
                  dropout=0.5)


@register_model("cnn_base", family="cnn", tasks=CLS_TAG, size="base",
                twins=Twins(small="cnn_small"), **recipes.CNN)
def cnn_base(info: DataInfo):
    """Kim CNN, 200 filters x widths 3/4/5 (sentiment); 3 layers x widths 3/5 (NER)."""
    return _build(info, embed=200, channels=200, tag_widths=(3, 5), tag_layers=3,
                  dropout=0.5)
