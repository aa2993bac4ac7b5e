"""Small hand-made examples for model tests (real data is tested in tests/data and e2e)."""
from __future__ import annotations

from zoo.data.types import Example
from zoo.data.vocab import Vocab
from zoo.model_catalog import DataInfo

SENTIMENT = [
    Example(("a", "great", "fun", "film"), label="pos"),
    Example(("dull", "and", "boring"), label="neg"),
    Example(("great", "acting"), label="pos"),
    Example(("a", "boring", "mess", "of", "a", "film"), label="neg"),
    Example(("fun",), label="pos"),
    Example(("mess",), label="neg"),
]
NER = [
    Example(("john", "lives", "in", "paris"), tags=("B-person", "O", "O", "B-location")),
    Example(("new", "york", "is", "big"), tags=("B-location", "I-location", "O", "O")),
    Example(("mary", "smith", "went", "home"), tags=("B-person", "I-person", "O", "O")),
    Example(("hello",), tags=("O",)),
]
TRANSLATION = [
    Example(("the", "cat"), target=("el", "gato")),
    Example(("a", "dog", "runs"), target=("un", "perro", "corre")),
    Example(("the", "dog"), target=("el", "perro")),
    Example(("a", "cat", "runs"), target=("un", "gato", "corre")),
]
BY_TASK = {"sentiment": SENTIMENT, "ner": NER, "translation": TRANSLATION}


def info_for(task: str) -> DataInfo:
    examples = BY_TASK[task]
    vocab = Vocab.build(ex.tokens for ex in examples)
    if task == "sentiment":
        return DataInfo(task, vocab, labels=("neg", "pos"))
    if task == "ner":
        tags = sorted({t for ex in examples for t in ex.tags})
        return DataInfo(task, vocab, labels=tuple(tags))
    target = Vocab.build((ex.target for ex in examples), with_bos_eos=True)
    return DataInfo(task, vocab, target_vocab=target)


def gold(examples, task: str) -> list:
    """What a perfect predictor returns for `examples`: labels, tag tuples or target tuples."""
    if task == "sentiment":
        return [ex.label for ex in examples]
    if task == "ner":
        return [ex.tags for ex in examples]
    return [ex.target for ex in examples]
