"""The ELMo recipe (Peters et al. 2018) on a pretrained BERT-style encoder: the encoder stays
frozen, a learned scalar mix combines all its hidden layers (the embedding output and each
block), and a small task layer reads the mix.

Peters et al. mix every biLM layer with softmax-normalised weights and a scale gamma
(allennlp-light's `ScalarMix`) because different tasks draw on different depths; the learned
weights are logged (`mix_metrics`), which is what the guide's "NER uses the lower layers"
verdict reads. Over the mix: a BiLSTM for taggers (the CRF head sits on it, as in the ELMo
paper's NER model), nothing for sentence classifiers, whose head mean-pools the mix and
applies one linear layer (a linear probe of the pretrained features).

A frozen encoder maps a sentence to the same layers every epoch, so while a cell trains
they are computed once per sentence and kept (zoo.encoders.feature_cache, float16), and
shared on disk by every cell of the same checkpoint and data (each training size and seed:
nested subsets of one dataset). The cache exists only once `enable_feature_cache()` was
called (the model's pretrain hook, run by the cell's training), until training ends
(`stop_caching`, after the cell's dev read, which scores the selected epoch from the rows
that selected it): the test read, and a model loaded for serving or timing, run the full
encoder in float32.
"""
from __future__ import annotations

from pathlib import Path

import torch
from allennlp_light.modules.scalar_mix import ScalarMix
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from zoo.dropout import Dropout
from zoo.encoders.bert import BertConfig, BertEncoder, first_pieces
from zoo.encoders.feature_cache import FeatureCache


class FrozenBertEncoder(nn.Module):
    """(B, S) pieces + (B, T) first-piece positions + (B, T) mask -> (B, T, D_out)."""

    def __init__(self, cfg: BertConfig, *, task_hidden: int, dropout: float):
        super().__init__()
        self.bert = BertEncoder(cfg)
        self.bert.requires_grad_(False)
        self.mix = ScalarMix(cfg.layers + 1)
        self.dropout = Dropout(dropout)
        # task_hidden 0: the mix itself is the output (a sentence head pools it).
        self.task_lstm = (nn.LSTM(cfg.hidden, task_hidden, batch_first=True,
                                  bidirectional=True) if task_hidden else None)
        self.output_dim = 2 * task_hidden if task_hidden else cfg.hidden
        self.feature_cache: FeatureCache | None = None
        self.feature_file: Path | None = None

    def enable_feature_cache(self, path: Path | None = None) -> None:
        """Keep each sentence's layers from now on; `path`: a file shared by the cells that
        use this encoder on the same data (read now, merged into by `save_features`)."""
        self.feature_cache = FeatureCache(dtype=torch.float16)
        self.feature_file = path
        if path is not None:
            self.feature_cache.load(path)

    def save_features(self) -> None:
        if self.feature_cache is not None and self.feature_file is not None:
            self.feature_cache.save(self.feature_file)

    def train(self, mode: bool = True) -> FrozenBertEncoder:
        super().train(mode)
        self.bert.eval()  # a frozen encoder is a fixed feature extractor: no dropout
        return self

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        # New encoder weights make cached features stale; the same weights (training
        # restoring its best epoch: only the mix and head changed) keep them, so they can be
        # shared with the next cells (clearing them here once left a cell's 8,485 mr
        # sentences out of the shared file and every cell recomputed its own).
        if self.feature_cache is not None and self._new_encoder_weights(state_dict, prefix):
            self.feature_cache.clear()
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _new_encoder_weights(self, state_dict, prefix: str) -> bool:
        own = self.bert.state_dict()
        return any(not torch.equal(state_dict[f"{prefix}bert.{name}"], tensor)
                   for name, tensor in own.items() if f"{prefix}bert.{name}" in state_dict)

    def stop_caching(self) -> None:
        """Training and dev are over: share the features computed, then run the whole encoder
        again, as a served model does (test is read in float32, not from float16 rows)."""
        self.save_features()
        self.feature_cache = None

    @torch.no_grad()
    def word_layers(self, pieces: torch.Tensor, starts: torch.Tensor,
                    mask: torch.Tensor) -> torch.Tensor:
        """(L + 1, B, T, D) word states of every layer; cached per sentence while training."""
        def compute(index: torch.Tensor) -> torch.Tensor:
            index = index.to(pieces.device)
            p, s, m = pieces[index], starts[index], mask[index]
            return torch.stack([first_pieces(h, s, m) for h in self.bert.piece_layers(p)])

        if self.feature_cache is None:
            return compute(torch.arange(pieces.shape[0]))  # (L + 1, B, T, D)
        lengths = mask.sum(1).clamp(min=1).tolist()
        # A sentence is its pieces and where its words start ("new york" as one token or
        # two has the same pieces).
        host, first = pieces.cpu().numpy(), starts.cpu().numpy()
        keys = [row[row != 0].tobytes() + first[i, :n].tobytes()
                for i, (row, n) in enumerate(zip(host, lengths))]
        return self.feature_cache.lookup(keys, lengths, mask.shape[1], compute)

    def mixed(self, pieces: torch.Tensor, starts: torch.Tensor,
              mask: torch.Tensor) -> torch.Tensor:
        """(B, T, D) the scalar mix of every layer's word states."""
        if self.feature_cache is not None:
            return self.mix(list(self.word_layers(pieces, starts, mask)))  # (B, T, D)
        # No cache (serving): mix the piece states, then read each word's first piece: the
        # same numbers (the mix is per position), with one gather instead of L + 1.
        with torch.no_grad():
            layers = self.bert.piece_layers(pieces)  # L + 1 x (B, S, D)
        return first_pieces(self.mix(layers), starts, mask)  # (B, T, D)

    def forward(self, pieces: torch.Tensor, starts: torch.Tensor,
                mask: torch.Tensor) -> torch.Tensor:
        x = self.dropout(self.mixed(pieces, starts, mask))  # (B, T, D)
        if self.task_lstm is None:
            return x
        lengths = mask.sum(1).clamp(min=1).cpu()  # (B,)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.task_lstm(packed)
        states, _ = pad_packed_sequence(out, batch_first=True, total_length=mask.shape[1])
        return self.dropout(states)  # (B, T, 2H)
