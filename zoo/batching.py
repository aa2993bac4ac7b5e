"""Turn examples into padded tensors, and model outputs back into strings."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from zoo.data.types import Example
from zoo.data.vocab import BOS, EOS, Vocab
from zoo.encoders.chars import char_batch


@dataclass
class Batch:
    ids: torch.Tensor  # (B, T) token ids, 0 = padding
    mask: torch.Tensor  # (B, T) bool, True on real tokens
    labels: torch.Tensor | None = None  # (B,) class ids (sentiment)
    tags: torch.Tensor | None = None  # (B, T) tag ids (ner), 0 on padding
    target: torch.Tensor | None = None  # (B, U) <s> y1 .. yn </s> (translation), 0 = padding
    chars: torch.Tensor | None = None  # (B, T, C) byte ids of each token (zoo.encoders.chars)
    # Subword models (zoo.encoders.wordpieces): (B, S) piece ids and (B, T) the position of
    # each word's first piece in them.
    pieces: torch.Tensor | None = None
    starts: torch.Tensor | None = None

    def __len__(self) -> int:
        return self.ids.shape[0]

    def to(self, device: torch.device | str) -> Batch:
        """This batch with every tensor on `device`; itself when all already are there (the
        CPU case: the collator builds CPU tensors, so this costs nothing without a GPU)."""
        device = torch.device(device) if isinstance(device, str) else device
        tensors = (self.ids, self.mask, self.labels, self.tags, self.target,
                   self.chars, self.pieces, self.starts)  # every field, in order
        if all(t is None or t.device == device for t in tensors):
            return self
        return Batch(*(None if t is None else t.to(device) for t in tensors))


def _pad(rows: Sequence[Sequence[int]]) -> torch.Tensor:
    width = max(1, max(len(r) for r in rows))
    out = torch.zeros(len(rows), width, dtype=torch.long)  # (B, T)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row, dtype=torch.long)
    return out


# Longest input a prediction batch is cut to: the position tables of the transformer
# encoder and decoder hold 1024 positions (zoo/encoders/transformer.py). Real sentences are
# far shorter; a longer one keeps its first 1024 tokens and `decode` pads the tags with "O".
MAX_PREDICT_LEN = 1024


class Collator:
    """Encodes examples for one task with vocabularies built from the training subset.

    `max_len` truncates training batches only (`with_gold=True`, what the loss sees).
    Prediction batches (`with_gold=False`: dev selection, dev and test metrics, serving)
    read whole sentences, so every NER token gets a predicted tag and a classifier or
    translator reads the whole source.
    """

    def __init__(self, task: str, vocab: Vocab, labels: Sequence[str] = (),
                 target_vocab: Vocab | None = None, max_len: int = 64, max_chars: int = 0,
                 subwords=None):
        self.task = task
        # Models that read subword pieces (`model.subwords`, a zoo.encoders.wordpieces.
        # WordPieces) get them too, from the token strings.
        self.subwords = subwords
        # Models with character features (`model.max_chars`, zoo.encoder_head) get each
        # token's bytes too, from the token itself: an unseen word keeps its spelling.
        self.max_chars = max_chars
        self.vocab = vocab
        self.labels = tuple(labels)
        self.label_ids = {label: i for i, label in enumerate(self.labels)}
        self.target_vocab = target_vocab
        self.max_len = max_len

    def _tokens(self, ex: Example, limit: int) -> list[str]:
        # Keep at least one token so an empty sentence still yields a valid (masked) row.
        return list(ex.tokens[:limit]) or ["<unk>"]

    def truncates(self, ex: Example) -> bool:
        """Whether training cuts this example (source, or target for translation)."""
        return len(ex.tokens) > self.max_len or len(ex.target or ()) > self.max_len

    def __call__(self, examples: Sequence[Example], with_gold: bool = True) -> Batch:
        limit = self.max_len if with_gold else MAX_PREDICT_LEN
        token_rows = [self._tokens(ex, limit) for ex in examples]
        ids = _pad([self.vocab.encode(toks) for toks in token_rows])
        mask = ids.new_zeros(ids.shape, dtype=torch.bool)
        for i, toks in enumerate(token_rows):
            mask[i, : len(toks)] = True
        batch = Batch(ids=ids, mask=mask)
        if self.max_chars:
            batch.chars = char_batch(token_rows, ids.shape[1], self.max_chars)  # (B, T, C)
        if self.subwords is not None:
            batch.pieces, batch.starts = self.subwords.batch(token_rows, ids.shape[1])
        if not with_gold:
            return batch
        if self.task == "sentiment":
            batch.labels = torch.tensor([self.label_ids[ex.label] for ex in examples])
        elif self.task == "ner":
            # Unknown tags (absent from the training subset) map to "O" so dev/test still encode.
            fallback = self.label_ids.get("O", 0)
            batch.tags = _pad([[self.label_ids.get(t, fallback) for t in ex.tags[: self.max_len]]
                               for ex in examples])
        elif self.task == "translation":
            assert self.target_vocab is not None
            rows = [[BOS, *ex.target[: self.max_len], EOS] for ex in examples]
            batch.target = _pad([self.target_vocab.encode(r) for r in rows])
        return batch

    def decode(self, outputs: Sequence, examples: Sequence[Example]) -> list:
        """Model outputs (ids) -> task predictions (label str, tag tuple, token tuple)."""
        if self.task == "sentiment":
            return [self.labels[i] for i in outputs]
        if self.task == "ner":
            # Only a sentence over MAX_PREDICT_LEN is cut; its tail is tagged "O".
            return [tuple(self.labels[i] for i in seq) + ("O",) * (len(ex.tokens) - len(seq))
                    for seq, ex in zip(outputs, examples)]
        assert self.target_vocab is not None
        eos = self.target_vocab.id(EOS)
        preds = []
        for seq in outputs:
            seq = list(seq)
            seq = seq[: seq.index(eos)] if eos in seq else seq
            preds.append(tuple(self.target_vocab.decode(seq)))
        return preds


def collator_for(model, info, max_len: int) -> Collator:
    """The collator a built model reads: its task's vocabularies (`info`, a DataInfo), plus
    each token's characters when the model has character features (`model.max_chars`), and
    its subword pieces when it reads them (`model.subwords`)."""
    return Collator(info.task, info.vocab, info.labels, info.target_vocab, max_len,
                    max_chars=int(getattr(model, "max_chars", 0) or 0),
                    subwords=getattr(model, "subwords", None))


EVAL_BATCH_SIZE = 128  # examples per forward pass when predicting a whole split


def predict_in_batches(predict_batch: Callable[[Sequence[Example]], list],
                       examples: Sequence[Example], batch_size: int = EVAL_BATCH_SIZE) -> list:
    """`predict_batch` over length-sorted chunks, results back in the input order.

    Why: one padded batch of a whole split pads every sentence to the longest one and, for
    translation, decodes until the longest output ends; sorted chunks waste little padding.
    """
    if len(examples) <= batch_size:
        return list(predict_batch(examples))
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].tokens))
    out: list = [None] * len(examples)
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        for i, prediction in zip(chunk, predict_batch([examples[i] for i in chunk]), strict=True):
            out[i] = prediction
    return out
