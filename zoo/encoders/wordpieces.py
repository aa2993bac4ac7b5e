"""Words -> WordPiece ids for a BERT encoder, aligned so that every word keeps its place.

The zoo's datasets are already split into words (NER tags belong to words), so each word is
tokenized on its own by the checkpoint's tokenizer (the `tokenizers` library reading its
tokenizer.json: BERT's normalizer, lower-casing for an uncased model, then WordPiece) and
its pieces are concatenated between [CLS] and [SEP]. `starts` records where each word's
first piece sits, which is where zoo.encoders.bert reads the word's state.

Every word gets a position, so every word gets a prediction: a word longer than
`max_word_pieces` keeps its first pieces, and a sentence longer than the encoder's position
table keeps its first pieces, its later words reading the last kept piece (a tweet or a
review sentence is far shorter; the cut is counted by `truncated_words`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from tokenizers import Tokenizer, normalizers, pre_tokenizers
from tokenizers.models import WordPiece

CLS, SEP, UNK = "[CLS]", "[SEP]", "[UNK]"


class WordPieces:
    def __init__(self, load: Callable[[], object], max_pieces: int = 512,
                 max_word_pieces: int = 16):
        # `load` returns a tokenizers.Tokenizer; called on first use, so building a model
        # (e.g. to count its parameters) never downloads a checkpoint.
        self._load = load
        self._tokenizer = None
        self.max_pieces = max_pieces
        self.max_word_pieces = max_word_pieces
        self._cache: dict[str, list[int]] = {}
        self.truncated_words = 0

    def save(self, path: Path) -> None:
        """Write the tokenizer beside a saved model, so loading it needs no checkpoint."""
        path.write_text(self.tokenizer.to_str(), encoding="utf-8")

    def load_from(self, path: Path) -> None:
        """Read the tokenizer from `path` (a saved model's) instead of the checkpoint."""
        self._load = lambda: tokenizer_from_file(path)
        self._tokenizer = None
        self._cache.clear()

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            self._tokenizer = self._load()
            self._tokenizer.no_padding()
            self._tokenizer.no_truncation()
            self._ids = {t: self._tokenizer.token_to_id(t) for t in (CLS, SEP, UNK)}
        return self._tokenizer

    def word(self, word: str) -> list[int]:
        pieces = self._cache.get(word)
        if pieces is None:
            pieces = self.tokenizer.encode(word, add_special_tokens=False).ids
            # A word the normalizer empties (a control character) still needs a position.
            pieces = pieces[: self.max_word_pieces] or [self._ids[UNK]]
            self._cache[word] = pieces
        return pieces

    def batch(self, token_rows: Sequence[Sequence[str]],
              width: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, S) piece ids ([CLS] .. [SEP], 0 = padding) and (B, width) first-piece indexes
        (0, the [CLS] position, on padding words)."""
        self.tokenizer  # noqa: B018 (loads the special ids)
        rows, starts = [], torch.zeros(len(token_rows), width, dtype=torch.long)  # (B, T)
        limit = self.max_pieces - 1  # room for [SEP]
        for i, words in enumerate(token_rows):
            row = [self._ids[CLS]]
            for j, word in enumerate(words):
                if len(row) >= limit:
                    self.truncated_words += 1
                    starts[i, j] = limit - 1
                    continue
                starts[i, j] = len(row)
                row.extend(self.word(word)[: limit - len(row)])
            rows.append(row + [self._ids[SEP]])
        pieces = torch.zeros(len(rows), max(len(r) for r in rows), dtype=torch.long)  # (B, S)
        for i, row in enumerate(rows):
            pieces[i, : len(row)] = torch.tensor(row)
        return pieces, starts


def tokenizer_from_file(path: Path):
    return Tokenizer.from_file(str(path))


def wordpiece_vocab(words: Sequence[str]) -> dict[str, int]:
    """A small uncased WordPiece vocabulary over `words` and their letters (tiny test models,
    which have no checkpoint): every word is one piece or a spelling of letter pieces."""
    vocab: dict[str, int] = {}
    for token in ("[PAD]", UNK, CLS, SEP, *sorted({w.lower() for w in words})):
        vocab.setdefault(token, len(vocab))
    for ch in sorted({c for w in words for c in w.lower()}):
        vocab.setdefault(ch, len(vocab))
        vocab.setdefault(f"##{ch}", len(vocab))
    return vocab


def tokenizer_for_vocab(vocab: dict[str, int]):
    """BERT's uncased normalizer and pre-tokenizer over a WordPiece vocabulary."""
    tokenizer = Tokenizer(WordPiece(vocab, unk_token=UNK))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    return tokenizer
