"""Feature-based CRF tagger: the classical NER baseline (CRFsuite, L-BFGS, L1 + L2).

Hand-made features per token: the word, its shape, prefixes and suffixes, character flags,
and the same for the words at -2..+2 (Ratinov & Roth style, without gazetteers). The
linear-chain CRF scores whole tag sequences, so neighbouring tags inform each other.
"""
from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pycrfsuite

from zoo.data.types import Example
from zoo.model_catalog import DataInfo, register_model

Features = dict[str, "str | float"]


def word_shape(word: str) -> str:
    """Short shape: 'McDonald's' -> "XxXx'x", '2016' -> 'd' (repeated classes collapse)."""
    shape = re.sub("[A-Z]", "X", word)
    shape = re.sub("[a-z]", "x", shape)
    shape = re.sub("[0-9]", "d", shape)
    return re.sub(r"(.)\1+", r"\1", shape)


def _word_features(word: str, prefix: str) -> Features:
    lower = word.lower()
    return {
        f"{prefix}w": lower,
        f"{prefix}shape": word_shape(word),
        f"{prefix}title": float(word[:1].isupper()),
        f"{prefix}upper": float(word.isupper()),
    }


def token_features(tokens: Sequence[str], i: int) -> Features:
    """Features of token `i`: its own (word, shape, affixes, flags) plus a +-2 window."""
    word = tokens[i]
    lower = word.lower()
    feats: Features = {"bias": 1.0, **_word_features(word, "")}
    for k in (1, 2, 3, 4):
        feats[f"pre{k}"] = lower[:k]
        feats[f"suf{k}"] = lower[-k:]
    feats.update({
        "digit": float(any(c.isdigit() for c in word)),
        "hyphen": float("-" in word),
        "mention": float(word.startswith("@")),  # social-media text (WNUT)
        "hashtag": float(word.startswith("#")),
        "url": float(lower.startswith(("http", "www."))),
        "len": str(min(len(word), 10)),
    })
    for offset in (-2, -1, 1, 2):
        j = i + offset
        if 0 <= j < len(tokens):
            feats.update(_word_features(tokens[j], f"{offset:+d}:"))
        else:
            feats[f"{offset:+d}:edge"] = 1.0  # before the start / past the end
    return feats


def sentence_features(tokens: Sequence[str]) -> list[Features]:
    return [token_features(tokens, i) for i in range(len(tokens))]


class FeatureCrfTagger:
    """CRFsuite linear-chain CRF over hand-made features; L2 strength chosen on dev span F1."""

    kind = "classical"

    def __init__(self, c2_grid: Sequence[float] = (0.01, 0.1, 1.0), c1: float = 0.05,
                 max_iterations: int = 100):
        self.c2_grid = tuple(c2_grid)
        self.c1 = c1
        self.max_iterations = max_iterations
        self.chosen_c2: float | None = None
        self._model: bytes | None = None  # the CRFsuite model file's bytes
        self._tagger: pycrfsuite.Tagger | None = None

    def _train(self, xs: list[list[Features]], train: Sequence[Example], c2: float) -> bytes:
        trainer = pycrfsuite.Trainer(verbose=False)
        for x, ex in zip(xs, train):
            if ex.tokens:
                trainer.append(x, list(ex.tags))
        trainer.set_params({"c1": self.c1, "c2": c2, "max_iterations": self.max_iterations,
                            "feature.possible_transitions": True})
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "crf.model"
            trainer.train(str(path))
            return path.read_bytes()

    def _open(self, model: bytes) -> None:
        self._model = model  # the tagger reads from this buffer: keep it alive
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open_inmemory(model)

    def fit(self, train: Sequence[Example], dev: Sequence[Example]) -> dict[str, float]:
        """Fit one CRF per L2 strength, keep the one with the best dev span F1."""
        from zoo.evaluate import evaluate  # seqeval loads when a model fits, not on import

        xs = [sentence_features(ex.tokens) for ex in train]
        best: tuple[float, float | None, bytes | None] = (-1.0, None, None)
        for c2 in self.c2_grid:
            self._open(self._train(xs, train, c2))
            f1 = evaluate("ner", dev, self.predict(dev), ci=False).values["f1"]
            if f1 > best[0]:
                best = (f1, c2, self._model)
        f1, self.chosen_c2, model = best
        self._open(model)
        return {"dev_f1_at_selection": f1, "c2": float(self.chosen_c2)}

    def predict(self, examples: Sequence[Example]) -> list[tuple[str, ...]]:
        assert self._tagger is not None, "fit() first"
        return [tuple(self._tagger.tag(sentence_features(ex.tokens))) if ex.tokens else ()
                for ex in examples]

    def num_params(self) -> int:
        info = self._tagger.info()
        return len(info.state_features) + len(info.transitions)

    def save(self, path: Path) -> None:
        import skops.io as sio

        # skops holds plain data only (the model bytes as a uint8 array): nothing executable.
        sio.dump({"crfsuite_model": np.frombuffer(self._model, dtype=np.uint8),
                  "c1": self.c1, "c2": self.chosen_c2}, path)

    def load(self, path: Path) -> None:
        import skops.io as sio

        state = sio.load(path, trusted=[])  # numpy arrays and scalars need no trust
        self.c1, self.chosen_c2 = state["c1"], state["c2"]
        self._open(state["crfsuite_model"].tobytes())


@register_model("feature_crf", family="feature_crf", tasks=("ner",), kind="classical", crf=True)
def feature_crf(info: DataInfo):
    """CRFsuite CRF over word, shape, affix and +-2 context features; L2 tuned on dev."""
    return FeatureCrfTagger()
