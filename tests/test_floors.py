"""The trivial floors (majority class, all-O, copy-source): outputs, metrics, persistence,
the cell path, and that every planned run includes them."""
from __future__ import annotations

import json

import pytest
import sacrebleu

from tests.toy_data import NER, SENTIMENT, info_for
from zoo.cells import CellSpec, measure_cell, train_cell
from zoo.data import get_card
from zoo.data.prepare import PreparedDataset
from zoo.data.types import Example
from zoo.errors import ConfigError
from zoo.evaluate import evaluate
from zoo.models import DataInfo, create_model, floor_model, get_entry, list_models
from zoo.predictors import load_predictor, make_predictor, save_model
from zoo.sweep.plan import plan_cells

FLOORS = {"sentiment": "majority_class", "ner": "all_o", "translation": "copy_source"}
# Source and reference share names and numbers, so echoing the source scores above 0.
TRANSLATION = [
    Example(("john", "has", "3", "cats", "."), target=("john", "tiene", "3", "gatos", ".")),
    Example(("paris", "is", "big", "."), target=("paris", "es", "grande", ".")),
    Example(("maria", "runs", "10", "km", "daily", "."),
            target=("maria", "corre", "10", "km", "cada", "día", ".")),
]
# Train: "pos" (second in label order) is the majority; test: 2 of 5 are "pos".
SENT_TRAIN = SENTIMENT + [Example(("great", "fun"), label="pos")]
SENT_TEST = [Example(("a",), label="pos"), Example(("b",), label="neg"),
             Example(("c",), label="neg"), Example(("d",), label="pos"),
             Example(("e",), label="neg")]


def _fit(name: str, task: str, train, info: DataInfo | None = None):
    model = create_model(name, info or info_for(task))
    model.fit(train, train)
    return model


def test_each_task_has_one_registered_classical_floor():
    for task, name in FLOORS.items():
        assert floor_model(task) == name
        entry = get_entry(name)
        assert entry.floor and entry.kind == "classical" and entry.family == "floor"
        assert entry.tasks == (task,)
    assert {n for n in list_models() if get_entry(n).floor} == set(FLOORS.values())


def test_majority_class_predicts_the_training_majority():
    model = _fit("majority_class", "sentiment", SENT_TRAIN)
    predictions = make_predictor(model, None)(SENT_TEST)
    assert predictions == ["pos"] * len(SENT_TEST)
    # Its accuracy is the share of the majority label in the evaluated split.
    assert evaluate("sentiment", SENT_TEST, predictions).values["accuracy"] == pytest.approx(
        2 / 5)


def test_majority_class_breaks_ties_by_label_order():
    assert sorted(ex.label for ex in SENTIMENT) == ["neg"] * 3 + ["pos"] * 3  # a tie
    vocab = info_for("sentiment").vocab
    for labels in (("neg", "pos"), ("pos", "neg")):
        model = _fit("majority_class", "sentiment", SENTIMENT,
                     DataInfo("sentiment", vocab, labels=labels))
        assert model.predict(SENT_TEST) == [labels[0]] * len(SENT_TEST)


def test_all_o_tags_every_token_o_and_scores_zero_span_f1():
    model = _fit("all_o", "ner", NER)
    predictions = make_predictor(model, None)(NER)
    assert predictions == [("O",) * len(ex.tokens) for ex in NER]
    metrics = evaluate("ner", NER, predictions).values
    assert any(t != "O" for ex in NER for t in ex.tags)  # there were entities to miss
    assert metrics["f1"] == 0.0 and metrics["recall"] == 0.0


def test_copy_source_echoes_the_input_and_scores_its_bleu():
    model = _fit("copy_source", "translation", TRANSLATION)
    predictions = make_predictor(model, None)(TRANSLATION)
    assert predictions == [ex.tokens for ex in TRANSLATION]
    expected = sacrebleu.corpus_bleu([" ".join(ex.tokens) for ex in TRANSLATION],
                                     [[" ".join(ex.target) for ex in TRANSLATION]]).score
    assert expected > 0
    bleu = evaluate("translation", TRANSLATION, predictions).values["bleu"]
    assert bleu == pytest.approx(expected)


@pytest.mark.parametrize("task,train", [("sentiment", SENT_TRAIN), ("ner", NER),
                                        ("translation", TRANSLATION)])
def test_save_load_round_trip_is_plain_json(task, train, tmp_path):
    name = FLOORS[task]
    info = info_for(task)
    model = _fit(name, task, train, info)
    weights = save_model(tmp_path / "m", name, model, None, info)
    json.loads(weights.read_text())  # plain data: loading executes nothing
    reloaded, fresh = load_predictor(tmp_path / "m")
    assert reloaded(train) == model.predict(train)
    assert fresh.num_params() == 0
    # A floor refuses a file that another floor wrote.
    other = create_model(FLOORS["sentiment" if task != "sentiment" else "ner"],
                         info_for("sentiment" if task != "sentiment" else "ner"))
    with pytest.raises(ValueError, match="zoo-floor"):
        other.load(weights)


def test_floor_runs_through_the_cell_path_with_size_and_latency(tmp_path):
    data = PreparedDataset(get_card("mr"), {"train": tuple(SENT_TRAIN), "dev": tuple(SENT_TEST),
                                            "test": tuple(SENT_TEST)},
                           labels=("neg", "pos"), fingerprint="toy")
    cell = train_cell(CellSpec("sentiment", "mr", "majority_class", 1.0, 1), data, tmp_path)
    assert cell.test["accuracy"] == pytest.approx(2 / 5)
    assert cell.params == 0 and cell.size_bytes > 0
    metrics = measure_cell(cell.model_dir, data, latency_calls=5)
    assert 0 < metrics["latency/p50_ms"] <= metrics["latency/p99_ms"]
    assert metrics["throughput/examples_per_s"] > 0


def test_plan_includes_each_tasks_floor_even_when_the_pattern_excludes_it():
    cells = plan_cells("quick", models=["bilstm_small", "seq2seq_gru_small"],
                       train_sizes=[0.1, 0.3], seeds=[1, 2])
    by_dataset: dict[str, set[str]] = {}
    for c in cells:
        by_dataset.setdefault(c.dataset, set()).add(c.model)
    tasks = {c.dataset: c.task for c in cells}
    assert set(by_dataset) == {"mr", "wnut16", "tatoeba-en-es"}
    for dataset, models in by_dataset.items():
        assert FLOORS[tasks[dataset]] in models
    for floor in FLOORS.values():  # at every planned size and seed
        assert {(c.train_size, c.seed) for c in cells if c.model == floor} == {
            (0.1, 1), (0.1, 2), (0.3, 1), (0.3, 2)}
    # Named explicitly, a floor is planned once, not twice.
    both = plan_cells("quick", datasets=["mr"], models=["bilstm_small", "majority_class"],
                      train_sizes=[0.1], seeds=[1])
    assert sorted(c.model for c in both) == ["bilstm_small", "majority_class"]
    # An exact matrix for tests that need one.
    exact = plan_cells("quick", datasets=["mr"], models=["bilstm_small"], train_sizes=[0.1],
                       seeds=[1], include_floors=False)
    assert [c.model for c in exact] == ["bilstm_small"]
    # A dataset no requested model runs on is not planned, its floor neither.
    sentiment_only = plan_cells("quick", models=["tfidf_logreg"], train_sizes=[0.1],
                                seeds=[1])
    assert sorted((c.dataset, c.model) for c in sentiment_only) == [
        ("mr", "majority_class"), ("mr", "tfidf_logreg")]


def test_floor_model_errors_for_a_task_without_exactly_one_floor(monkeypatch):
    from zoo import model_catalog as registry

    floor_model("ner")  # loads the families before the registry is narrowed
    without = {n: e for n, e in registry._REGISTRY.items() if n != "all_o"}
    monkeypatch.setattr(registry, "_REGISTRY", without)
    with pytest.raises(ConfigError, match="exactly one registered floor.*found: none"):
        floor_model("ner")
    twin = registry.ModelEntry("all_o_2", "floor", ("sentiment",), "classical", lambda i: None,
                               "", floor=True)
    monkeypatch.setattr(registry, "_REGISTRY", {**without, "all_o_2": twin})
    with pytest.raises(ConfigError, match="found: all_o_2, majority_class"):
        floor_model("sentiment")
