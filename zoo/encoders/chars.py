"""Characters of words: UTF-8 byte ids (ELMo's scheme) and a character-CNN word embedder.

Why bytes of the token itself, not of a vocabulary entry: a word the training subset never
saw has the <unk> word id, but its spelling (capitals, "@", "#", suffixes) is what lets a
tagger or the ELMo biLM read it; the collator builds these ids from the token strings
(zoo.batching.Collator, `max_chars`).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from allennlp_light.modules.seq2vec_encoders import CnnEncoder
from torch import nn

from zoo.data.vocab import PAD
from zoo.dropout import Dropout

# Character ids: 0 = padding, byte b -> b + 1, then begin- and end-of-word markers.
BOW, EOW = 257, 258
CHAR_VOCAB = 259


def char_ids(token: str, max_chars: int) -> list[int]:
    """One token as `max_chars` character ids: BOW, its UTF-8 bytes (truncated), EOW, pad."""
    if token == PAD:
        return [0] * max_chars
    body = [b + 1 for b in token.encode("utf-8")[: max_chars - 2]]
    row = [BOW, *body, EOW]
    return row + [0] * (max_chars - len(row))


def char_table(tokens: Sequence[str], max_chars: int) -> torch.Tensor:
    """(N, max_chars) character ids for a word list, built once so forward stays tensor-only."""
    return torch.tensor([char_ids(t, max_chars) for t in tokens], dtype=torch.long)


def char_batch(token_rows: Sequence[Sequence[str]], width: int, max_chars: int) -> torch.Tensor:
    """(B, T, max_chars) character ids of padded sentences; padding positions are all 0."""
    out = torch.zeros(len(token_rows), width, max_chars, dtype=torch.long)  # (B, T, C)
    for i, tokens in enumerate(token_rows):
        if tokens:
            out[i, : len(tokens)] = char_table(tokens, max_chars)
    return out


class CharCnn(nn.Module):
    """(B, T, C) character ids -> (B, T, F) word features: character embeddings, dropout,
    one convolution, max over the word's characters (allennlp-light's CnnEncoder).

    Ma and Hovy 2016 (BiLSTM-CNN-CRF): 30-d character embeddings, 30 filters of width 3,
    dropout 0.5 on the embeddings before the CNN.
    """

    def __init__(self, max_chars: int = 20, char_dim: int = 30, filters: int = 30,
                 width: int = 3, dropout: float = 0.5):
        super().__init__()
        self.max_chars = max_chars
        self.embed = nn.Embedding(CHAR_VOCAB, char_dim, padding_idx=0)
        self.dropout = Dropout(dropout)
        self.cnn = CnnEncoder(char_dim, filters, ngram_filter_sizes=(width,))
        self.output_dim = filters

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        b, t, c = chars.shape
        flat = chars.reshape(b * t, c)  # (B*T, C)
        char_mask = flat > 0  # (B*T, C)
        feats = self.cnn(self.dropout(self.embed(flat)), char_mask)  # (B*T, F)
        # A padding position has no characters, so every filter was masked to the dtype's
        # minimum: zero it (the recurrence never reads it, but a sum or a CRF might).
        feats = feats * char_mask.any(-1, keepdim=True)  # (B*T, F)
        return feats.view(b, t, -1)  # (B, T, F)
