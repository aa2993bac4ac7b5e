"""BiLSTM with additive self-attention pooling (sentence classification only).

The encoder is the zoo's packed BiLSTM; the head scores every state with a small MLP
(Bahdanau-style), softmaxes the scores over the real tokens and classifies the weighted sum.
"""
from __future__ import annotations

from zoo import recipes
from zoo.encoder_head import classifier_or_tagger
from zoo.encoders.recurrent import RecurrentEncoder
from zoo.model_catalog import DataInfo, Twins, register_model


def _build(info: DataInfo, *, embed: int, hidden: int, layers: int, dropout: float):
    encoder = RecurrentEncoder(len(info.vocab), cell="lstm", embed_dim=embed, hidden=hidden,
                               layers=layers, bidirectional=True, dropout=dropout)
    return classifier_or_tagger(encoder, info, pooling="attention", dropout=dropout)


@register_model("tiny_lstm_attn", family="lstm_attn", tasks=("sentiment",), size="tiny",
                bidirectional=True)
def tiny_lstm_attn(info: DataInfo):
    """BiLSTM + attention pooling, 1 layer, 16 hidden per direction (tests only)."""
    return _build(info, embed=16, hidden=16, layers=1, dropout=0.0)


@register_model("lstm_attn_small", family="lstm_attn", tasks=("sentiment",), size="small",
                bidirectional=True, **recipes.RECURRENT)
def lstm_attn_small(info: DataInfo):
    """BiLSTM + additive self-attention pooling: 1 layer, 128 hidden per direction."""
    return _build(info, embed=100, hidden=128, layers=1, dropout=0.3)


@register_model("lstm_attn_base", family="lstm_attn", tasks=("sentiment",), size="base",
                bidirectional=True, twins=Twins(small="lstm_attn_small"), **recipes.RECURRENT)
def lstm_attn_base(info: DataInfo):
    """BiLSTM + additive self-attention pooling: 2 layers, 256 hidden per direction."""
    return _build(info, embed=200, hidden=256, layers=2, dropout=0.4)
