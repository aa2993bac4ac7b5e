"""Per-example records of a cell's test predictions: what the report's error analysis reads.

One compact, JSON-able payload per cell (zoo.tracking.records logs it as one artifact):
the report buckets test examples (entity seen/unseen in training, entity and sentence
length, class, text and source length) and shows a few examples where the two best models
disagree. It cannot re-prepare the data, so everything it needs is computed here, at cell
time, from the training subset the cell used and its test predictions:

  every task   n, length (tokens per example; the source for translation)
  sentiment    labels [names], gold [label id], pred [label id]
  ner          types [names], gold / pred: per sentence [[type id, start, end, seen], ...]
               (end exclusive; seen = 1 when the span's exact token sequence is an entity
               of any type in the training subset; strict IOB2, as the span F1 counts)
  translation  nothing more: the BLEU segment statistics per example are already in the
               run's example-stats artifact (zoo.tracking.stats), which the report reads
  pool         a seeded sample of short test examples (the same for every model of a test
               set) with their `tokens`, and for translation `ref` and `hyp` (joined text); the
               disagreement examples are drawn from it, so the test text is not copied
               into every run whole.
"""
from __future__ import annotations

import random
from collections.abc import Sequence

from zoo import metrics
from zoo.data.types import Example

VERSION = 1
POOL_SIZE = 120  # examples whose text is kept (a few KB)
POOL_MAX_TOKENS = 25  # "short": a disagreement example fits one line of the report
POOL_SEED = 27


def entity_spans(tag_rows: Sequence[Sequence[str]]) -> list[list[tuple[str, int, int]]]:
    """Per sentence, its entities as (type, start, end) under strict IOB2 (seqeval's, as
    zoo.evaluate's span F1 counts them)."""
    from seqeval.scheme import IOB2, Entities

    found = Entities([list(t) for t in tag_rows], IOB2).entities
    return [[(e.tag, e.start, e.end) for e in sentence] for sentence in found]


def surface(tokens: Sequence[str], start: int, end: int) -> str:
    return " ".join(tokens[start:end])


def training_entities(train: Sequence[Example]) -> set[str]:
    """The surface forms (exact token sequences) that are entities in the training subset."""
    spans = entity_spans([ex.tags for ex in train])
    return {surface(ex.tokens, s, e) for ex, found in zip(train, spans) for _, s, e in found}


def pool(test: Sequence[Example], size: int = POOL_SIZE, max_tokens: int = POOL_MAX_TOKENS,
         seed: int = POOL_SEED) -> list[int]:
    """Indices of a seeded sample of short test examples: a function of the test set alone,
    so every model of a dataset keeps the same ones."""
    short = [i for i, ex in enumerate(test) if 0 < len(ex.tokens) <= max_tokens]
    return sorted(random.Random(seed).sample(short, min(size, len(short))))


def _ner(train, test, predictions) -> dict:
    seen = training_entities(train)
    gold = entity_spans([ex.tags for ex in test])
    pred = entity_spans(predictions)
    types = sorted({t for rows in (gold, pred) for sentence in rows for t, _, _ in sentence})
    index = {t: i for i, t in enumerate(types)}

    def encode(rows):
        return [[[index[t], s, e, int(surface(ex.tokens, s, e) in seen)] for t, s, e in sentence]
                for ex, sentence in zip(test, rows)]

    return {"types": types, "gold": encode(gold), "pred": encode(pred)}


def _sentiment(test, predictions) -> dict:
    stats, labels = metrics.label_stats([ex.label for ex in test], list(predictions))  # (N, 2)
    return {"labels": labels, "gold": stats[:, 0].tolist(), "pred": stats[:, 1].tolist()}


def _translation(test, predictions, kept: list[int]) -> dict:
    return {"ref": [" ".join(test[i].target) for i in kept],
            "hyp": [" ".join(predictions[i]) for i in kept]}


def example_records(task: str, train: Sequence[Example], test: Sequence[Example],
                    predictions: Sequence) -> dict:
    """The payload for one cell: `predictions` are the model's test outputs in data order
    (labels, tag sequences or target tokens), exactly what zoo.evaluate scored."""
    if len(test) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {len(test)} examples")
    kept = pool(test)
    out = {"version": VERSION, "task": task, "n": len(test),
           "length": [len(ex.tokens) for ex in test],
           "pool": kept, "tokens": [list(test[i].tokens) for i in kept]}
    if task == "ner":
        out.update(_ner(train, test, predictions))
    elif task == "sentiment":
        out.update(_sentiment(test, predictions))
    elif task == "translation":
        out.update(_translation(test, predictions, kept))
    else:
        raise ValueError(f"unknown task {task!r}")
    return out
