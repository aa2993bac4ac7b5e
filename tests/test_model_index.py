"""The model index (zoo.model_index) says what the family files register: every registered
model has its row, every row its model, each fact equal, each parameter count the built
model's. A listing and a profile read the index (no torch); this is what keeps it true.

On a failure the message prints the rows as they should read: paste them into zoo/model_index.py.
"""
from __future__ import annotations

import dataclasses

import pytest

from zoo import model_index
from zoo.configs import PROFILES
from zoo.data.vocab import Vocab
from zoo.measure import count_params
from zoo.model_index import ModelFacts
from zoo.models import DataInfo, create_model, entries, get_entry, list_models

FACT_FIELDS = tuple(f.name for f in dataclasses.fields(ModelFacts) if f.name != "params")


def reference_params(name: str) -> int | None:
    """Parameters of a neural model on the reference vocabulary (ModelFacts.params): 10,000
    words, 2 classes or 13 BIO tags, 10,000 target words for translation."""
    entry = get_entry(name)
    if entry.kind != "neural":
        return None
    words = [f"w{i}" for i in range(9998)]  # + <pad>, <unk>
    task = entry.tasks[0]
    tags = ("O",) + tuple(f"{p}-t{i}" for i in range(6) for p in "BI")
    info = DataInfo(task, Vocab.build([words]),
                    labels={"sentiment": ("neg", "pos"), "ner": tags}.get(task, ()),
                    target_vocab=Vocab.build([words], with_bos_eos=True)
                    if task == "translation" else None)
    return count_params(create_model(name, info))


def _registered(entry, params: int | None) -> ModelFacts:
    return ModelFacts(**{field: getattr(entry, field) for field in FACT_FIELDS}, params=params)


def _drift(expected: dict[str, ModelFacts]) -> str:
    wrong = [row for name, row in sorted(expected.items())
             if model_index.BY_NAME.get(name) != row]
    gone = sorted(set(model_index.BY_NAME) - set(expected))
    return ("zoo/model_index.py is out of date; rows as registered:\n" +
            "\n".join(f"    {row!r}," for row in wrong) +
            (f"\nrows of models no family registers: {', '.join(gone)}" if gone else ""))


def test_the_index_is_sorted_and_names_each_model_once():
    names = [row.name for row in model_index.MODELS]
    assert names == sorted(set(names)) and len(names) > 50


def test_every_fact_matches_the_registration():
    expected = {e.name: _registered(e, model_index.BY_NAME.get(e.name, ModelFacts("", "", ()))
                                    .params) for e in entries()}
    assert expected == model_index.BY_NAME, _drift(expected)


def test_every_parameter_count_matches_the_built_model():
    """Builds each neural model once on the reference vocabulary (seconds: 68 models)."""
    built = {e.name: reference_params(e.name) for e in entries()}
    indexed = {row.name: row.params for row in model_index.MODELS}
    expected = {e.name: _registered(e, built[e.name]) for e in entries()}
    assert built == indexed, _drift(expected)


@pytest.mark.parametrize("pattern, task", [("*", None), ("bilstm*,tfidf*", None),
                                           ("*small*", "ner"), ("*", "translation"),
                                           ("nothing*", None), (" , ", None)])
def test_names_match_the_catalogs_list_models(pattern, task):
    assert model_index.names(pattern, task) == list_models(pattern, task=task)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_a_profile_selects_the_same_models_from_the_index_as_from_the_registry(profile):
    selection = PROFILES[profile].selection
    assert PROFILES[profile].models == selection.names(entries())
