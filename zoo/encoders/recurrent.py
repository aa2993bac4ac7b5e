"""Recurrent encoders: Elman RNN, GRU, LSTM, and their bidirectional stacks.

Sequences are packed so padding never reaches the recurrence: a padded sentence gives
exactly the states of the same sentence alone. A batch without padding runs unpacked.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from zoo.dropout import Dropout
from zoo.encoders.chars import CharCnn

_CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class RecurrentEncoder(nn.Module):
    """(B, T) ids + mask [+ (B, T, C) chars] -> (B, T, D) states,
    D = hidden * (2 if bidirectional else 1).

    With `char_cnn`, each word's embedding is concatenated with character-CNN features of its
    spelling (Ma and Hovy 2016), so a word replaced by <unk> still shows its shape.
    """

    def __init__(self, vocab_size: int, *, cell: str, embed_dim: int, hidden: int,
                 layers: int = 1, bidirectional: bool = False, dropout: float = 0.0,
                 char_cnn: CharCnn | None = None):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.char_cnn = char_cnn
        self.max_chars = char_cnn.max_chars if char_cnn is not None else 0
        self.embed_dropout = Dropout(dropout)
        kwargs = {"nonlinearity": "tanh"} if cell == "rnn" else {}
        input_dim = embed_dim + (char_cnn.output_dim if char_cnn is not None else 0)
        # nn.RNN/GRU/LSTM apply `dropout` between stacked layers (not after the last one).
        self.rnn = _CELLS[cell](input_dim, hidden, num_layers=layers, batch_first=True,
                                bidirectional=bidirectional,
                                dropout=dropout if layers > 1 else 0.0, **kwargs)
        self.output_dim = hidden * (2 if bidirectional else 1)
        self.output_dropout = Dropout(dropout)
        # Batch normalisation of the outputs: off in every recipe; the `batch_norm` recipe
        # variant (zoo.variants) sets it through `add_batch_norm`.
        self.norm: MaskedBatchNorm | None = None
        self._init_weights()

    def add_batch_norm(self) -> None:
        self.norm = MaskedBatchNorm(self.output_dim)

    def _init_weights(self) -> None:
        # Xavier for input-to-hidden, orthogonal for hidden-to-hidden (keeps gradients stable
        # through time), zero biases; LSTM forget-gate bias 1 so early training remembers.
        nn.init.normal_(self.embed.weight, std=0.1)
        with torch.no_grad():
            self.embed.weight[0].zero_()
        for name, param in self.rnn.named_parameters():
            if "weight_ih" in name:
                nn.init.xavier_uniform_(param)
            elif "weight_hh" in name:
                nn.init.orthogonal_(param)
            elif "bias" in name:
                nn.init.zeros_(param)
                if isinstance(self.rnn, nn.LSTM):
                    hidden = param.shape[0] // 4
                    param.data[hidden: 2 * hidden] = 1.0

    def forward(self, ids: torch.Tensor, mask: torch.Tensor,
                chars: torch.Tensor | None = None) -> torch.Tensor:
        x = self.embed(ids)  # (B, T, E)
        if self.char_cnn is not None:
            x = torch.cat([x, self.char_cnn(chars)], dim=-1)  # (B, T, E + F)
        x = self.embed_dropout(x)
        lengths = mask.sum(dim=1).clamp(min=1).cpu()  # (B,)
        if bool((lengths == ids.shape[1]).all()):
            # No padding (batch-1 prediction): the same states without packing, which costs
            # about 0.2 ms of a 1 ms BiLSTM call at 22 tokens and keeps oneDNN's fused kernel.
            out, _ = self.rnn(x)
            return self.output_dropout(self._normed(out, mask))  # (B, T, D)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        states, _ = pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        return self.output_dropout(self._normed(states, mask))  # (B, T, D)

    def _normed(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return states if self.norm is None else self.norm(states, mask)


class MaskedBatchNorm(nn.Module):
    """BatchNorm1d over the features of the real (unpadded) positions only: padding would
    pull the batch statistics toward zero. (B, T, D) states + (B, T) mask -> (B, T, D)."""

    def __init__(self, dim: int):
        super().__init__()
        self.bn = nn.BatchNorm1d(dim)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        real = mask.bool()  # (B, T)
        out = torch.zeros_like(states)  # (B, T, D)
        out[real] = self.bn(states[real])  # (N, D) over the N real positions
        return out
