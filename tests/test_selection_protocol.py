"""Selection protocol (issue 10, item 1): a stratified dev subset; whole-sentence prediction."""
from __future__ import annotations

import os
import random
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.toy_data import BY_TASK
from zoo.batching import Collator
from zoo.cells import CellSpec, train_cell
from zoo.data.splits import dev_subset, subset_counts
from zoo.data.types import Example
from zoo.device import ENV

SHARED = Path(os.environ.get("ZOO_TEST_SHARED_DATASETS", "/work/shared/datasets"))
FP = "a" * 64


def _share(examples, label: str = "pos") -> float:
    return sum(ex.label == label for ex in examples) / len(examples)


def _sorted_sentiment(n_pos: int = 600, n_neg: int = 400) -> list[Example]:
    """Like mr's dev split: the file in source order, every positive first."""
    return ([Example((f"p{i}",), label="pos") for i in range(n_pos)]
            + [Example((f"n{i}",), label="neg") for i in range(n_neg)])


def test_sentiment_subset_keeps_the_label_proportion_of_a_sorted_dev():
    dev = _sorted_sentiment()
    subset = dev_subset(dev, 300, "sentiment", FP)
    assert len(subset) == 300
    assert abs(_share(subset) - _share(dev)) <= 0.02
    assert subset_counts(subset, "sentiment") == {"dev/label_count/neg": 120.0,
                                                  "dev/label_count/pos": 180.0}
    # the original dev order is kept inside the sample
    positions = [dev.index(ex) for ex in subset]
    assert positions == sorted(positions)


def test_subset_is_fixed_per_fingerprint_and_differs_for_another():
    dev = _sorted_sentiment()
    assert dev_subset(dev, 300, "sentiment", FP) == dev_subset(list(dev), 300, "sentiment", FP)
    assert dev_subset(dev, 300, "sentiment", FP) != dev_subset(dev, 300, "sentiment", "b" * 64)


def test_no_limit_or_a_large_one_is_the_whole_dev():
    dev = _sorted_sentiment(5, 5)
    assert dev_subset(dev, 0, "sentiment", FP) == tuple(dev)
    assert dev_subset(dev, 10, "sentiment", FP) == tuple(dev)
    assert dev_subset(dev, 99, "sentiment", FP) == tuple(dev)


def test_ner_subset_keeps_the_share_of_sentences_with_entities():
    rng = random.Random(0)

    def sentence(entity: bool) -> Example:
        n = rng.randint(1, 40)
        return Example(("w",) * n, tags=(("B-person",) if entity else ("O",)) + ("O",) * (n - 1))

    # entity sentences first, as a file grouped by document might have them
    dev = [sentence(True) for _ in range(250)] + [sentence(False) for _ in range(750)]
    subset = dev_subset(dev, 200, "ner", FP)
    assert len(subset) == 200
    with_entities = subset_counts(subset, "ner")["dev/with_entities"]
    assert abs(with_entities / 200 - 0.25) <= 0.02


def test_translation_subset_is_a_uniform_sample():
    dev = [Example((str(i),), target=(str(i),)) for i in range(1000)]
    subset = dev_subset(dev, 100, "translation", FP)
    assert len(subset) == 100 and subset != tuple(dev[:100])
    assert 30 <= sum(int(ex.tokens[0]) < 500 for ex in subset) <= 70


def _read_sst2(path: Path) -> list[Example]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        label, _, text = line.partition(" ")
        if text:
            out.append(Example(tuple(text.split()), label=label))
    return out


@pytest.mark.skipif(not (SHARED / "sst2" / "stsa.binary.dev").is_file(),
                    reason="shared sst2 mirror missing")
def test_real_sst2_dev_subset_matches_the_full_distribution():
    dev = _read_sst2(SHARED / "sst2" / "stsa.binary.dev")
    for order in (dev, sorted(dev, key=lambda ex: ex.label, reverse=True)):  # as is; mr-like
        subset = dev_subset(order, 300, "sentiment", FP)
        full, sub = Counter(ex.label for ex in order), Counter(ex.label for ex in subset)
        for label in full:
            assert abs(sub[label] / len(subset) - full[label] / len(order)) <= 0.03


def test_prediction_collates_whole_sentences_training_truncates():
    info_vocab = SimpleNamespace(encode=lambda toks: [1] * len(toks))
    collator = Collator("ner", info_vocab, ("O",), max_len=8)
    long = Example(("w",) * 100, tags=("O",) * 100)
    assert collator([long]).ids.shape == (1, 8)  # training: cut to max_len
    assert collator([long], with_gold=False).ids.shape == (1, 100)  # prediction: whole
    assert collator.truncates(long) and not collator.truncates(Example(("w",) * 8))


def test_a_100_token_ner_sentence_gets_100_predicted_tags(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "cpu")
    train = tuple(BY_TASK["ner"])
    long = Example(("john", "lives", "in", "paris") * 25,
                   tags=("B-person", "O", "O", "B-location") * 25)
    data = SimpleNamespace(splits={"train": train + (long,), "dev": (long,), "test": (long,)},
                           labels=("B-location", "B-person", "I-location", "I-person", "O"),
                           fingerprint="c" * 64)
    spec = CellSpec("ner", "toy", "tiny_bilstm", 1.0, 0,
                    overrides=(("epochs", 3), ("max_len", 16)))
    import zoo.cells

    predicted = []
    real_evaluate = zoo.cells.evaluate

    def recording_evaluate(task, gold, predictions, ci=True):
        predicted.extend(predictions)
        return real_evaluate(task, gold, predictions, ci)

    model_lengths = []  # tags the model itself produced (decode pads nothing then)
    real_decode = Collator.decode

    def recording_decode(self, outputs, examples):
        model_lengths.extend(len(seq) for seq in outputs)
        return real_decode(self, outputs, examples)

    monkeypatch.setattr(zoo.cells, "evaluate", recording_evaluate)
    monkeypatch.setattr(Collator, "decode", recording_decode)
    cell = train_cell(spec, data, tmp_path / "models")
    assert predicted and all(len(tags) == 100 for tags in predicted)
    assert model_lengths and all(n == 100 for n in model_lengths)
    assert cell.extra_metrics["train/truncated_sentences"] == 1.0


def test_train_cell_selects_on_the_stratified_subset_and_logs_its_labels(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "cpu")
    train = tuple(BY_TASK["sentiment"])
    dev = tuple([ex for ex in train if ex.label == "pos"] * 10
                + [ex for ex in train if ex.label == "neg"] * 10)  # sorted, like mr
    data = SimpleNamespace(splits={"train": train, "dev": dev, "test": train},
                           labels=("neg", "pos"), fingerprint="d" * 64)
    spec = CellSpec("sentiment", "toy", "tiny_lstm", 1.0, 0,
                    overrides=(("dev_limit", 10), ("epochs", 1)))
    cell = train_cell(spec, data, tmp_path / "models")
    assert cell.extra_metrics["dev/examples"] == 10.0
    assert cell.extra_metrics["dev/label_count/pos"] == 5.0
    assert cell.extra_metrics["dev/label_count/neg"] == 5.0
