"""Per-example records (zoo.example_log) on hand-made data: seen / unseen entities from the
training subset, span boundaries, lengths, the shared pool of short examples."""
from __future__ import annotations

import json

import pytest

from zoo.data.types import Example
from zoo.example_log import example_records, pool, training_entities

TRAIN = [
    Example(("Marie", "lives", "in", "Paris"), tags=("B-PER", "O", "O", "B-LOC")),
    Example(("The", "New", "York", "Times", "wrote"), tags=("O", "B-ORG", "I-ORG", "I-ORG", "O")),
    Example(("Bob", "said"), tags=("O", "O")),  # Bob is no entity in training
]
TEST = [
    Example(("Paris", "and", "New", "York", "Times", "met", "Bob"),
            tags=("B-LOC", "O", "B-ORG", "I-ORG", "I-ORG", "O", "B-PER")),
    Example(("nothing", "here"), tags=("O", "O")),
]


def test_training_entities_are_exact_surface_forms_of_any_type():
    assert training_entities(TRAIN) == {"Marie", "Paris", "New York Times"}


def test_ner_records_mark_seen_and_unseen_gold_and_predicted_spans():
    pred = [["B-LOC", "O", "B-LOC", "O", "O", "O", "B-PER"], ["O", "B-MISC"]]
    rec = example_records("ner", TRAIN, TEST, pred)
    assert rec["types"] == ["LOC", "MISC", "ORG", "PER"]
    loc, misc, org, per = range(4)
    # [type, start, end (exclusive), seen]
    assert rec["gold"] == [[[loc, 0, 1, 1], [org, 2, 5, 1], [per, 6, 7, 0]], []]
    assert rec["pred"] == [[[loc, 0, 1, 1], [loc, 2, 3, 0], [per, 6, 7, 0]], [[misc, 1, 2, 0]]]
    assert rec["length"] == [7, 2] and rec["n"] == 2
    assert rec["pool"] == [0, 1] and rec["tokens"][0][0] == "Paris"
    json.dumps(rec)  # JSON-able as logged


def test_strict_iob2_drops_an_entity_that_starts_with_i():
    rec = example_records("ner", TRAIN, TEST[1:], [["I-PER", "O"]])
    assert rec["pred"] == [[]]


def test_sentiment_records_keep_label_names_and_lengths():
    test = [Example(("a", "fine", "film"), label="pos"), Example(("dull",), label="neg")]
    rec = example_records("sentiment", [], test, ["neg", "neg"])
    assert rec["labels"] == ["neg", "pos"]
    assert rec["gold"] == [1, 0] and rec["pred"] == [0, 0] and rec["length"] == [3, 1]


def test_translation_records_keep_the_pool_text_only():
    test = [Example(("hola", "mundo"), target=("hello", "world")),
            Example(tuple("x" * 40), target=("long",))]  # too long for the pool
    rec = example_records("translation", [], test, [["hi", "world"], ["long"]])
    assert rec["pool"] == [0] and rec["ref"] == ["hello world"] and rec["hyp"] == ["hi world"]
    assert rec["length"] == [2, 40]


def test_pool_is_a_function_of_the_test_set_alone():
    test = [Example(tuple(["w"] * (i % 40 + 1)), label="pos") for i in range(500)]
    first = pool(test)
    assert first == pool(list(test)) and len(first) == 120
    assert all(len(test[i].tokens) <= 25 for i in first)


def test_a_prediction_count_mismatch_is_refused():
    with pytest.raises(ValueError, match="1 predictions for 2 examples"):
        example_records("ner", TRAIN, TEST, [["O"] * 7])


@pytest.mark.parametrize("model", ["all_o", "feature_crf", "tiny_bilstm_crf_ort_q8"])
def test_every_kind_of_model_logs_records_that_rescore_to_its_logged_f1(model, tmp_path):
    """A floor, a classical model and an ONNX int8 twin go through the cell's one evaluate
    path: their records carry the spans that give exactly the logged span F1."""
    from zoo import metrics
    from zoo.cells import CellSpec, train_cell
    from zoo.data import PreparedDataset, get_card

    train, test = tuple(TRAIN * 4), tuple(TEST * 3)
    data = PreparedDataset(get_card("wnut16"), {"train": train, "dev": test, "test": test},
                           labels=("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"),
                           fingerprint="toy-ner")
    cell = train_cell(CellSpec("ner", "wnut16", model, 1.0, 1, overrides=(("epochs", 2),)),
                      data, tmp_path)
    rec = cell.test_records
    assert rec["n"] == len(test) and len(rec["gold"]) == len(rec["pred"]) == len(test)
    stats = metrics.span_stats([{tuple(s[:3]) for s in x} for x in rec["gold"]],
                               [{tuple(s[:3]) for s in x} for x in rec["pred"]])
    assert metrics.score("f1", stats) == pytest.approx(cell.test["f1"])
    assert [s[3] for s in rec["gold"][0]] == [1, 1, 0]  # Paris, New York Times seen; Bob not
