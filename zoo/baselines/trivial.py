"""Trivial floor models, one per task: majority class, all-O and copy-source.

Why they exist: a number means little until it is set against what no learning at all
achieves. Each task's floor is measured in every benchmark run (`zoo.sweep.plan.plan_cells`
adds it), through the same train / evaluate / measure path as every other model, and a model that
does not beat its task's floor significantly is "at the floor" in the report.

They are classical models (fit / predict / save / load, like the other baselines) with no
parameters. What they store is plain JSON: loading a saved floor executes nothing.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from zoo.data.types import Example
from zoo.model_catalog import DataInfo, register_model

FORMAT = "zoo-floor/1"


def _write(path: Path, model: str, **state: object) -> None:
    Path(path).write_text(json.dumps({"format": FORMAT, "model": model, **state},
                                     ensure_ascii=False))


def _read(path: Path, model: str) -> dict:
    payload = json.loads(Path(path).read_text())
    if payload.get("format") != FORMAT or payload.get("model") != model:
        raise ValueError(f"{path} is not a {FORMAT} file of {model!r}")
    return payload


class MajorityClass:
    """Predicts the most frequent training label for every sentence.

    The sentiment floor: its accuracy is the majority share of test. Ties between equally
    frequent labels go to the one first in the dataset's label order, so it is deterministic.
    """

    kind = "classical"

    def __init__(self, labels: Sequence[str] = ()):
        self.labels = tuple(labels)
        self.label: str | None = None

    def fit(self, train: Sequence[Example], dev: Sequence[Example]) -> dict[str, float]:
        counts = Counter(ex.label for ex in train)
        if not counts:
            raise ValueError("majority_class needs at least one training example")
        order = {label: i for i, label in enumerate(self.labels)}
        # Most frequent first; then the label order; labels outside it last, alphabetically.
        self.label = min(counts, key=lambda lab: (-counts[lab], order.get(lab, len(order)),
                                                  lab))
        return {"majority_share": counts[self.label] / len(train)}

    def predict(self, examples: Sequence[Example]) -> list[str]:
        assert self.label is not None, "fit() first"
        return [self.label for _ in examples]

    def num_params(self) -> int:
        return 0

    def save(self, path: Path) -> None:
        _write(path, "majority_class", label=self.label)

    def load(self, path: Path) -> None:
        self.label = str(_read(path, "majority_class")["label"])


class AllOutside:
    """Tags every token "O" (outside any entity).

    The NER floor: it finds no entity, so its span F1 is 0 by construction, while its token
    accuracy is high on entity-sparse text. A tagger's F1 is only worth something above it.
    """

    kind = "classical"

    def fit(self, train: Sequence[Example], dev: Sequence[Example]) -> dict[str, float]:
        return {}  # nothing to learn

    def predict(self, examples: Sequence[Example]) -> list[tuple[str, ...]]:
        return [("O",) * len(ex.tokens) for ex in examples]

    def num_params(self) -> int:
        return 0

    def save(self, path: Path) -> None:
        _write(path, "all_o")

    def load(self, path: Path) -> None:
        _read(path, "all_o")


class CopySource:
    """Outputs the source sentence unchanged as its "translation".

    The translation floor: the BLEU of echoing the input, earned by names, numbers and
    punctuation the two languages share. A translator must beat it to be translating.
    """

    kind = "classical"

    def fit(self, train: Sequence[Example], dev: Sequence[Example]) -> dict[str, float]:
        return {}  # nothing to learn

    def predict(self, examples: Sequence[Example]) -> list[tuple[str, ...]]:
        return [tuple(ex.tokens) for ex in examples]

    def num_params(self) -> int:
        return 0

    def save(self, path: Path) -> None:
        _write(path, "copy_source")

    def load(self, path: Path) -> None:
        _read(path, "copy_source")


@register_model("majority_class", family="floor", tasks=("sentiment",), kind="classical",
                floor=True)
def majority_class(info: DataInfo):
    """Floor: the most frequent training label for every sentence (ties: label order)."""
    return MajorityClass(info.labels)


@register_model("all_o", family="floor", tasks=("ner",), kind="classical", floor=True)
def all_o(info: DataInfo):
    """Floor: "O" for every token; span F1 0 by construction."""
    return AllOutside()


@register_model("copy_source", family="floor", tasks=("translation",), kind="classical",
                floor=True)
def copy_source(info: DataInfo):
    """Floor: the source tokens unchanged (the BLEU of echoing the input)."""
    return CopySource()
