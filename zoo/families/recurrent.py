"""Recurrent variants: RNN (Elman) -> GRU / LSTM -> stacked BiLSTM -> BiLSTM-CRF.

The BiLSTM-CRF taggers read each word's characters too (a character CNN, Ma and Hovy 2016;
Lample et al. 2016 use a character BiLSTM to the same end): in tweets many test words are
unseen, and their spelling is all a word-level tagger would not see.

Each variant is a small function with literal sizes; `tiny_*` variants exist for tests.
"""
from __future__ import annotations

from zoo import recipes
from zoo.encoder_head import classifier_or_tagger
from zoo.encoders.chars import CharCnn
from zoo.encoders.recurrent import RecurrentEncoder
from zoo.model_catalog import DataInfo, Twins, register_model

CLS_TAG = ("sentiment", "ner")


def _build(info: DataInfo, *, cell: str, embed: int, hidden: int, layers: int,
           bidirectional: bool, dropout: float, crf: bool = False,
           char_cnn: CharCnn | None = None):
    encoder = RecurrentEncoder(len(info.vocab), cell=cell, embed_dim=embed, hidden=hidden,
                               layers=layers, bidirectional=bidirectional, dropout=dropout,
                               char_cnn=char_cnn)
    return classifier_or_tagger(encoder, info, pooling="meanmax", crf=crf, dropout=dropout)


@register_model("tiny_rnn", family="rnn", tasks=CLS_TAG, size="tiny", bidirectional=False)
def tiny_rnn(info: DataInfo):
    """Elman RNN, 1 layer, 16 hidden (tests only)."""
    return _build(info, cell="rnn", embed=16, hidden=16, layers=1, bidirectional=False,
                  dropout=0.0)


@register_model("rnn_small", family="rnn", tasks=CLS_TAG, size="small", bidirectional=False,
                **recipes.RECURRENT)
def rnn_small(info: DataInfo):
    """Elman RNN, 1 layer, 128 hidden, 100-d embeddings."""
    return _build(info, cell="rnn", embed=100, hidden=128, layers=1, bidirectional=False,
                  dropout=0.3)


@register_model("tiny_gru", family="gru", tasks=CLS_TAG, size="tiny", bidirectional=False)
def tiny_gru(info: DataInfo):
    """GRU, 1 layer, 16 hidden (tests only)."""
    return _build(info, cell="gru", embed=16, hidden=16, layers=1, bidirectional=False,
                  dropout=0.0)


@register_model("gru_small", family="gru", tasks=CLS_TAG, size="small", bidirectional=False,
                **recipes.RECURRENT)
def gru_small(info: DataInfo):
    """GRU, 1 layer, 128 hidden, 100-d embeddings."""
    return _build(info, cell="gru", embed=100, hidden=128, layers=1, bidirectional=False,
                  dropout=0.3)


@register_model("tiny_lstm", family="lstm", tasks=CLS_TAG, size="tiny", bidirectional=False)
def tiny_lstm(info: DataInfo):
    """LSTM, 1 layer, 16 hidden (tests only)."""
    return _build(info, cell="lstm", embed=16, hidden=16, layers=1, bidirectional=False,
                  dropout=0.0)


@register_model("lstm_small", family="lstm", tasks=CLS_TAG, size="small", bidirectional=False,
                **recipes.RECURRENT)
def lstm_small(info: DataInfo):
    """LSTM, 1 layer, 128 hidden, 100-d embeddings."""
    return _build(info, cell="lstm", embed=100, hidden=128, layers=1, bidirectional=False,
                  dropout=0.3)


@register_model("lstm_base", family="lstm", tasks=CLS_TAG, size="base", bidirectional=False,
                twins=Twins(small="lstm_small"), **recipes.RECURRENT)
def lstm_base(info: DataInfo):
    """LSTM, 2 layers, 256 hidden, 200-d embeddings."""
    return _build(info, cell="lstm", embed=200, hidden=256, layers=2, bidirectional=False,
                  dropout=0.4)


@register_model("tiny_bilstm", family="bilstm", tasks=CLS_TAG, size="tiny", bidirectional=True,
                twins=Twins(unidirectional="tiny_lstm"))
def tiny_bilstm(info: DataInfo):
    """BiLSTM, 2 layers, 16 hidden per direction (tests only)."""
    return _build(info, cell="lstm", embed=16, hidden=16, layers=2, bidirectional=True,
                  dropout=0.0)


@register_model("bilstm_small", family="bilstm", tasks=CLS_TAG, size="small", bidirectional=True,
                twins=Twins(unidirectional="lstm_small"), **recipes.RECURRENT)
def bilstm_small(info: DataInfo):
    """BiLSTM, 1 layer, 128 hidden per direction, 100-d embeddings.

    One layer, as in Lample et al. 2016 and the BiLSTM baselines of Tai et al. 2015: half the
    sequential steps of a 2-layer stack, which the base variant keeps. Measured at 2 threads
    (benchmarks/train_throughput.py): 2 layers took 17.7 s an mr epoch.
    """
    return _build(info, cell="lstm", embed=100, hidden=128, layers=1, bidirectional=True,
                  dropout=0.3)


@register_model("bilstm_base", family="bilstm", tasks=CLS_TAG, size="base", bidirectional=True,
                twins=Twins(unidirectional="lstm_base", small="bilstm_small"), **recipes.RECURRENT)
def bilstm_base(info: DataInfo):
    """Stacked BiLSTM, 2 layers, 256 hidden per direction, 200-d embeddings."""
    return _build(info, cell="lstm", embed=200, hidden=256, layers=2, bidirectional=True,
                  dropout=0.4)


@register_model("tiny_bilstm_crf", family="bilstm_crf", tasks=("ner",), size="tiny",
                bidirectional=True, crf=True, twins=Twins(no_crf="tiny_bilstm"))
def tiny_bilstm_crf(info: DataInfo):
    """BiLSTM-CNN-CRF, 1 layer, 16 hidden per direction, 8 char filters (tests only)."""
    return _build(info, cell="lstm", embed=16, hidden=16, layers=1, bidirectional=True,
                  dropout=0.0, crf=True,
                  char_cnn=CharCnn(max_chars=12, char_dim=8, filters=8, dropout=0.0))


@register_model("bilstm_crf_small", family="bilstm_crf", tasks=("ner",), size="small",
                bidirectional=True, crf=True, twins=Twins(no_crf="bilstm_small"),
                **recipes.RECURRENT)
def bilstm_crf_small(info: DataInfo):
    """BiLSTM-CNN-CRF (the canonical NER model): 1 layer, 128 hidden per direction, 100-d
    word embeddings + a 30-filter character CNN (Ma and Hovy 2016).

    One layer as in Lample et al. 2016 (they use 100 per direction): the batch-1 latency of
    a real-time tagger is mostly its sequential LSTM steps (2 layers: 2.2 ms of a 4.5 ms
    prediction at 22 tokens, benchmarks/runtime_latency.py); the base variant keeps 2.
    """
    return _build(info, cell="lstm", embed=100, hidden=128, layers=1, bidirectional=True,
                  dropout=0.3, crf=True, char_cnn=CharCnn())


@register_model("bilstm_crf_base", family="bilstm_crf", tasks=("ner",), size="base",
                bidirectional=True, crf=True,
                twins=Twins(no_crf="bilstm_base", small="bilstm_crf_small"), **recipes.RECURRENT)
def bilstm_crf_base(info: DataInfo):
    """BiLSTM-CNN-CRF: 2 layers, 256 hidden per direction, 200-d embeddings + a 30-filter
    character CNN (Ma and Hovy 2016)."""
    return _build(info, cell="lstm", embed=200, hidden=256, layers=2, bidirectional=True,
                  dropout=0.4, crf=True, char_cnn=CharCnn())
