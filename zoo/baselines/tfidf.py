"""TF-IDF + logistic regression: the strong classical baseline for sentence classification."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from zoo.data.types import Example
from zoo.model_catalog import DataInfo, register_model

if TYPE_CHECKING:  # scikit-learn and skops load when a model fits or loads, not on import
    from sklearn.pipeline import Pipeline


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
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

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
        _dump(path, {"pipeline": self.pipeline, "C": self.chosen_c})

    def load(self, path: Path) -> None:
        state = _load(path)
        self.pipeline, self.chosen_c = state["pipeline"], state["C"]


def _dump(path: Path, state: dict) -> None:
    import skops.io as sio

    sio.dump(state, path)  # skops instead of pickle: loading never executes code from the file


def _load(path: Path) -> dict:
    import skops.io as sio

    trusted = [t for t in sio.get_untrusted_types(file=path) if t in _TRUSTED_TYPES]
    return sio.load(path, trusted=trusted)


@register_model("tfidf_logreg", family="tfidf", tasks=("sentiment",), kind="classical")
def tfidf_logreg(info: DataInfo):
    """TF-IDF (word uni+bigrams, sublinear tf) + logistic regression, C tuned on dev."""
    return TfidfLogReg()


class BigramNaiveBayes(TfidfLogReg):
    """Multinomial naive Bayes over binarized word uni+bigrams (MNB-bi in Wang and Manning
    2012: 77.9 % on MR with 10-fold CV), a linear classifier in log space; the smoothing
    alpha is chosen on dev. On short snippets NB's counts beat a discriminative fit with
    little data (Ng and Jordan 2002), and it trains in well under a second."""

    def __init__(self, alphas: Sequence[float] = (0.1, 0.5, 1.0)):
        super().__init__(alphas)

    def _pipeline(self, c: float) -> Pipeline:
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.naive_bayes import MultinomialNB
        from sklearn.pipeline import Pipeline

        return Pipeline([("counts", CountVectorizer(analyzer=_identity, binary=True)),
                         ("nb", MultinomialNB(alpha=c))])

    def fit(self, train: Sequence[Example], dev: Sequence[Example]) -> dict[str, float]:
        chosen = super().fit(train, dev)  # the grid runs over alpha here, not C
        return {"dev_accuracy_at_selection": chosen["dev_accuracy_at_selection"],
                "alpha": chosen["C"]}

    def num_params(self) -> int:
        nb = self.pipeline.named_steps["nb"]
        return int(nb.feature_log_prob_.size + nb.class_log_prior_.size)


@register_model("nb_bigrams", family="tfidf", tasks=("sentiment",), kind="classical")
def nb_bigrams(info: DataInfo):
    """Multinomial naive Bayes on binary word uni+bigrams (MNB-bi), alpha tuned on dev."""
    return BigramNaiveBayes()


class NBLogReg(TfidfLogReg):
    """Naive-Bayes-weighted binary uni+bigram features with logistic regression (NB-LR, the
    logistic variant of NBSVM; Wang and Manning 2012, who report 79.4 % on MR for NBSVM-bi
    with 10-fold CV). Each class gets a one-vs-rest model over features scaled by that
    class's log-count ratio r = log((p / |p|1) / (q / |q|1)), p and q the smoothed (alpha 1)
    feature counts in and out of the class; the highest decision value wins. C on dev."""

    def __init__(self, c_grid: Sequence[float] = (0.1, 0.3, 1.0, 3.0), alpha: float = 1.0):
        super().__init__(c_grid)
        self.alpha = alpha
        self.state: dict | None = None

    def fit(self, train: Sequence[Example], dev: Sequence[Example]) -> dict[str, float]:
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.linear_model import LogisticRegression

        vectorizer = CountVectorizer(analyzer=_identity, binary=True)
        x = vectorizer.fit_transform(self._features(train))  # (n, features), 0/1
        labels = sorted({ex.label for ex in train})
        y = [ex.label for ex in train]
        ratios = [self._ratio(x, [t == c for t in y]) for c in labels]
        x_dev, y_dev = vectorizer.transform(self._features(dev)), [ex.label for ex in dev]
        best = (-1.0, None, None)
        for c in self.c_grid:
            models = [LogisticRegression(C=c, max_iter=2000).fit(x.multiply(r).tocsr(),
                                                                  [t == k for t in y])
                      for k, r in zip(labels, ratios)]
            state = {"vectorizer": vectorizer, "labels": labels, "ratios": ratios,
                     "models": models}
            acc = sum(p == t for p, t in zip(self._predict(state, x_dev), y_dev)) / len(y_dev)
            if acc > best[0]:
                best = (acc, c, state)
        _, self.chosen_c, self.state = best
        return {"dev_accuracy_at_selection": best[0], "C": float(self.chosen_c)}

    def _ratio(self, x, in_class: list[bool]):
        import numpy as np

        mask = np.asarray(in_class)
        p = self.alpha + np.asarray(x[mask].sum(axis=0)).ravel()  # (features,)
        q = self.alpha + np.asarray(x[~mask].sum(axis=0)).ravel()
        return np.log((p / p.sum()) / (q / q.sum()))  # (features,)

    @staticmethod
    def _predict(state: dict, x) -> list[str]:
        import numpy as np

        scores = np.column_stack([m.decision_function(x.multiply(r).tocsr())
                                  for m, r in zip(state["models"], state["ratios"])])
        return [state["labels"][i] for i in scores.argmax(axis=1)]  # (n,) by best class

    def predict(self, examples: Sequence[Example]) -> list[str]:
        assert self.state is not None, "fit() first"
        x = self.state["vectorizer"].transform(self._features(examples))
        return [str(p) for p in self._predict(self.state, x)]

    def num_params(self) -> int:
        return int(sum(m.coef_.size + m.intercept_.size for m in self.state["models"]))

    def save(self, path: Path) -> None:
        _dump(path, {"state": self.state, "C": self.chosen_c})

    def load(self, path: Path) -> None:
        saved = _load(path)
        self.state, self.chosen_c = saved["state"], saved["C"]


@register_model("nb_logreg", family="tfidf", tasks=("sentiment",), kind="classical")
def nb_logreg(info: DataInfo):
    """NB-weighted binary uni+bigrams + logistic regression (NBSVM's logistic variant)."""
    return NBLogReg()
