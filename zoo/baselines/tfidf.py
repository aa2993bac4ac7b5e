"""TF-IDF + logistic regression: the strong classical baseline for sentence classification."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import skops.io as sio
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from zoo.data.types import Example
from zoo.registry import DataInfo, register_model


def _identity(tokens):
    return tokens


# The only non-sklearn callable the saved pipeline references (the vectorizer's analyzer).
_TRUSTED_TYPES = {f"{__name__}._identity"}


class TfidfLogReg:
    """Word 1-2 gram TF-IDF features, L2-regularised logistic regression (C chosen on dev)."""

    kind = "classical"

    def __init__(self, c_grid: Sequence[float] = (0.5, 1.0, 2.0, 4.0, 8.0)):
        self.c_grid = tuple(c_grid)
        self.pipeline: Pipeline | None = None
        self.chosen_c: float | None = None

    def _pipeline(self, c: float) -> Pipeline:
        vectorizer = TfidfVectorizer(analyzer=_identity, ngram_range=(1, 1), sublinear_tf=True,
                                     min_df=1)
        return Pipeline([("tfidf", vectorizer),
                         ("logreg", LogisticRegression(C=c, max_iter=2000))])

    @staticmethod
    def _features(examples: Sequence[Example]) -> list[list[str]]:
        # Unigrams plus bigrams joined with a space; the vectorizer sees them as tokens.
        out = []
        for ex in examples:
            toks = list(ex.tokens)
            out.append(toks + [f"{a} {b}" for a, b in zip(toks, toks[1:])])
        return out

    def fit(self, train: Sequence[Example], dev: Sequence[Example]) -> dict[str, float]:
        """Fit one pipeline per C, keep the one with the best dev accuracy."""
        x_train, y_train = self._features(train), [ex.label for ex in train]
        x_dev, y_dev = self._features(dev), [ex.label for ex in dev]
        best = (-1.0, None, None)
        for c in self.c_grid:
            pipe = self._pipeline(c).fit(x_train, y_train)
            predicted = pipe.predict(x_dev)
            acc = sum(p == y for p, y in zip(predicted, y_dev)) / len(y_dev)
            if acc > best[0]:
                best = (acc, c, pipe)
        _, self.chosen_c, self.pipeline = best
        return {"dev_accuracy_at_selection": best[0], "C": float(self.chosen_c)}

    def predict(self, examples: Sequence[Example]) -> list[str]:
        assert self.pipeline is not None, "fit() first"
        return [str(p) for p in self.pipeline.predict(self._features(examples))]

    def num_params(self) -> int:
        logreg = self.pipeline.named_steps["logreg"]
        return int(logreg.coef_.size + logreg.intercept_.size)

    def save(self, path: Path) -> None:
        # skops instead of pickle: loading never executes code from the file.
        sio.dump({"pipeline": self.pipeline, "C": self.chosen_c}, path)

    def load(self, path: Path) -> None:
        trusted = [t for t in sio.get_untrusted_types(file=path) if t in _TRUSTED_TYPES]
        state = sio.load(path, trusted=trusted)
        self.pipeline, self.chosen_c = state["pipeline"], state["C"]


@register_model("tfidf_logreg", family="tfidf", tasks=("sentiment",), kind="classical")
def tfidf_logreg(info: DataInfo):
    """TF-IDF (word uni+bigrams, sublinear tf) + logistic regression, C tuned on dev."""
    return TfidfLogReg()
