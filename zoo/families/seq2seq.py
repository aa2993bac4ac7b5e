"""Translation variants: RNN (LSTM / GRU) encoder-decoders with attention, and Transformers.

RNN: bidirectional encoder (packed, see zoo/encoders/recurrent.py), Luong "general"
global attention without input feeding (why: zoo/heads/seq2seq.py). Transformer: pre-LN encoder and
decoder, sinusoidal positions, tied target embedding / output projection.
Word-level vocabularies on both sides; why, and its cost, in zoo/encoder_decoder.py.

Decoding: `tiny_*` variants that tests train decode greedily or with beam 2 (so the contract
test covers both searches); the others use beam search (4 small, 5 base), GNMT length
normalisation alpha 0.6, max length min(2 * source length + 10, 100).
"""
from __future__ import annotations

from zoo import recipes
from zoo.encoder_decoder import DecodeConfig, Seq2Seq
from zoo.encoders.recurrent import RecurrentEncoder
from zoo.encoders.transformer import TransformerEncoder
from zoo.heads.seq2seq import RnnAttentionDecoder, TransformerDecoder
from zoo.model_catalog import DataInfo, Twins, register_model

MT = ("translation",)
GREEDY = DecodeConfig(strategy="greedy")
BEAM2, BEAM4, BEAM5 = (DecodeConfig(strategy="beam", beam_size=k) for k in (2, 4, 5))
# The tiny test variants train with the recipes' optimiser settings but the loop's default
# epochs and patience (tests set their own); the others with the whole recipe.
RNN_DEFAULTS = recipes.SEQ2SEQ_RNN_OPTIM
TRANSFORMER_DEFAULTS = recipes.SEQ2SEQ_TRANSFORMER_OPTIM


def _target_size(info: DataInfo) -> int:
    if info.target_vocab is None:
        raise ValueError("translation models need DataInfo.target_vocab")
    return len(info.target_vocab)


def _rnn(info: DataInfo, *, cell: str, embed: int, enc_hidden: int, dec_hidden: int,
         layers: int, dropout: float, decode: DecodeConfig) -> Seq2Seq:
    encoder = RecurrentEncoder(len(info.vocab), cell=cell, embed_dim=embed, hidden=enc_hidden,
                               layers=layers, bidirectional=True, dropout=dropout)
    decoder = RnnAttentionDecoder(_target_size(info), encoder.output_dim, cell=cell,
                                  embed_dim=embed, hidden=dec_hidden, layers=layers,
                                  dropout=dropout)
    return Seq2Seq(encoder, decoder, info.target_vocab, decode)


def _transformer(info: DataInfo, *, d_model: int, enc_layers: int, dec_layers: int,
                 heads: int, ff_dim: int, dropout: float, decode: DecodeConfig) -> Seq2Seq:
    encoder = TransformerEncoder(len(info.vocab), d_model=d_model, layers=enc_layers,
                                 heads=heads, ff_dim=ff_dim, dropout=dropout)
    decoder = TransformerDecoder(_target_size(info), d_model=d_model, layers=dec_layers,
                                 heads=heads, ff_dim=ff_dim, dropout=dropout)
    return Seq2Seq(encoder, decoder, info.target_vocab, decode)


@register_model("tiny_seq2seq_lstm", family="seq2seq_lstm", tasks=MT, size="tiny",
                bidirectional=True, train_defaults=RNN_DEFAULTS)
def tiny_seq2seq_lstm(info: DataInfo):
    """BiLSTM encoder (16/direction) + LSTM decoder (32) with attention, greedy (tests only)."""
    return _rnn(info, cell="lstm", embed=16, enc_hidden=16, dec_hidden=32, layers=1,
                dropout=0.0, decode=GREEDY)


@register_model("seq2seq_lstm_small", family="seq2seq_lstm", tasks=MT, size="small",
                bidirectional=True, **recipes.SEQ2SEQ_RNN)
def seq2seq_lstm_small(info: DataInfo):
    """BiLSTM 128/direction -> LSTM 256, Luong attention, 1 layer, beam 4."""
    return _rnn(info, cell="lstm", embed=128, enc_hidden=128, dec_hidden=256, layers=1,
                dropout=0.2, decode=BEAM4)


@register_model("seq2seq_lstm_base", family="seq2seq_lstm", tasks=MT, size="base",
                bidirectional=True, twins=Twins(small="seq2seq_lstm_small"), **recipes.SEQ2SEQ_RNN)
def seq2seq_lstm_base(info: DataInfo):
    """BiLSTM 256/direction -> LSTM 512, Luong attention, 2 layers, beam 5."""
    return _rnn(info, cell="lstm", embed=256, enc_hidden=256, dec_hidden=512, layers=2,
                dropout=0.3, decode=BEAM5)


@register_model("tiny_seq2seq_gru", family="seq2seq_gru", tasks=MT, size="tiny",
                bidirectional=True, train_defaults=RNN_DEFAULTS)
def tiny_seq2seq_gru(info: DataInfo):
    """BiGRU encoder (16/direction) + GRU decoder (32) with attention, beam 2 (tests only)."""
    return _rnn(info, cell="gru", embed=16, enc_hidden=16, dec_hidden=32, layers=1,
                dropout=0.0, decode=BEAM2)


@register_model("seq2seq_gru_small", family="seq2seq_gru", tasks=MT, size="small",
                bidirectional=True, **recipes.SEQ2SEQ_RNN)
def seq2seq_gru_small(info: DataInfo):
    """BiGRU 128/direction -> GRU 256, Luong attention, 1 layer, beam 4."""
    return _rnn(info, cell="gru", embed=128, enc_hidden=128, dec_hidden=256, layers=1,
                dropout=0.2, decode=BEAM4)


@register_model("seq2seq_gru_base", family="seq2seq_gru", tasks=MT, size="base",
                bidirectional=True, twins=Twins(small="seq2seq_gru_small"), **recipes.SEQ2SEQ_RNN)
def seq2seq_gru_base(info: DataInfo):
    """BiGRU 256/direction -> GRU 512, Luong attention, 2 layers, beam 5."""
    return _rnn(info, cell="gru", embed=256, enc_hidden=256, dec_hidden=512, layers=2,
                dropout=0.3, decode=BEAM5)


@register_model("tiny_seq2seq_transformer", family="seq2seq_transformer", tasks=MT, size="tiny",
                train_defaults=TRANSFORMER_DEFAULTS)
def tiny_seq2seq_transformer(info: DataInfo):
    """Pre-LN Transformer, d=32, 1+1 layers, 2 heads, ff 64, beam 2 (tests only)."""
    return _transformer(info, d_model=32, enc_layers=1, dec_layers=1, heads=2, ff_dim=64,
                        dropout=0.0, decode=BEAM2)


@register_model("seq2seq_transformer_small", family="seq2seq_transformer", tasks=MT, size="small",
                **recipes.SEQ2SEQ_TRANSFORMER)
def seq2seq_transformer_small(info: DataInfo):
    """Pre-LN Transformer, d=256, 2+2 layers, 4 heads, ff 512, tied embeddings, beam 4."""
    return _transformer(info, d_model=256, enc_layers=2, dec_layers=2, heads=4, ff_dim=512,
                        dropout=0.1, decode=BEAM4)


@register_model("seq2seq_transformer_base", family="seq2seq_transformer", tasks=MT, size="base",
                twins=Twins(small="seq2seq_transformer_small"), **recipes.SEQ2SEQ_TRANSFORMER)
def seq2seq_transformer_base(info: DataInfo):
    """Pre-LN Transformer, d=512, 3+3 layers, 8 heads, ff 2048, tied embeddings, beam 5."""
    return _transformer(info, d_model=512, enc_layers=3, dec_layers=3, heads=8, ff_dim=2048,
                        dropout=0.1, decode=BEAM5)
