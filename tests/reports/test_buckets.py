"""Buckets (reports.buckets) and disagreement examples (reports.disagreements) on hand-made
records: which entity lands in which bucket, each bucket's score against a count by hand,
the paired gap of the two best models, and the skip note for runs without records."""
from __future__ import annotations

import numpy as np
import pytest

from reports import buckets, disagreements
from reports.ranking import Row, Stat
from zoo.data.types import Example
from zoo.example_log import example_records

TRAIN = [Example(("Marie", "lives", "in", "Paris"), tags=("B-PER", "O", "O", "B-LOC"))]
# 30 test sentences: "Paris" (seen LOC, 1 token) and "Ada Lovelace" (unseen PER, 2 tokens).
TEST = [Example(("Paris", "met", "Ada", "Lovelace") + ("x",) * (i % 9),
                tags=("B-LOC", "O", "B-PER", "I-PER") + ("O",) * (i % 9)) for i in range(30)]


def _ner(pred_per: bool, pred_loc: bool = True) -> dict:
    """A model that finds every LOC (if pred_loc) and every PER (if pred_per)."""
    pred = [["B-LOC" if pred_loc else "O", "O", "B-PER" if pred_per else "O",
             "I-PER" if pred_per else "O"] + ["O"] * (len(ex.tokens) - 4) for ex in TEST]
    return example_records("ner", TRAIN, TEST, pred)


def _row(model: str, runs: tuple[str, ...]) -> Row:
    return Row(model, model, "torch", None, 1, tuple(str(i) for i in range(len(runs))), runs,
               {"f1": Stat(50.0, None, len(runs))})


def test_entity_buckets_count_seen_unseen_length_and_type_by_hand():
    found = buckets.ner_buckets(_ner(pred_per=False))
    seen, n_seen = found[("entity seen in training", "seen")]
    unseen, n_unseen = found[("entity seen in training", "unseen")]
    assert (n_seen, n_unseen) == (30, 30)
    # seen: every LOC found -> F1 1; unseen: no PER predicted -> F1 0
    assert seen.sum(axis=0).tolist() == [30, 30, 30] and unseen.sum(axis=0).tolist() == [0, 0, 30]
    assert found[("entity length", "1 token")][1] == 30
    assert found[("entity length", "2 tokens")][1] == 30
    assert found[("entity type", "PER")][0].sum(axis=0).tolist() == [0, 0, 30]
    assert ("entity length", "3+ tokens") not in found


def test_length_tertiles_are_stated_ranges_that_cover_every_example():
    lengths = list(range(1, 31))
    bins = buckets.length_bins(lengths)
    assert bins == [(1, 10), (11, 20), (21, 30)]
    assert buckets.bin_label(1, 10) == "1–10 tokens" and buckets.bin_label(3, 3) == "3 tokens"
    assert buckets.length_bins([5] * 9) == [(5, 5)]  # one length: one bin


def test_sentence_length_buckets_partition_the_test_set():
    found = buckets.ner_buckets(_ner(pred_per=True))
    sizes = [n for (group, _), (_, n) in found.items() if group == "sentence length"]
    assert sum(sizes) == len(TEST) and len(sizes) == 3


def test_sentiment_buckets_by_class_are_per_class_accuracy():
    test = [Example(("w",) * (i + 1), label="pos" if i % 2 else "neg") for i in range(12)]
    rec = example_records("sentiment", [], test, ["pos"] * 12)
    found = buckets.sentiment_buckets(rec)
    assert found[("class", "pos")][1] == 6 and found[("class", "neg")][1] == 6
    from zoo import metrics
    assert metrics.score("accuracy", found[("class", "pos")][0]) == 1.0
    assert metrics.score("accuracy", found[("class", "neg")][0]) == 0.0


def test_bucket_table_scores_cis_and_the_widest_gap_is_the_unseen_bucket():
    records = {"a1": _ner(True), "a2": _ner(True), "b1": _ner(False), "f1": _ner(False, False)}
    best, second, floor = _row("best", ("a1", "a2")), _row("second", ("b1",)), \
        _row("floor", ("f1",))
    table = buckets.bucket_table("ner", [best, second], floor, records, {})
    assert table.models == ("best", "second", "floor") and not table.notes
    unseen = next(b for b in table.buckets if b.label == "unseen")
    assert [s.value for s in unseen.scores] == [100.0, 0.0, 0.0]
    assert unseen.unit == "entities" and unseen.size == 30
    assert unseen.gap.significant and unseen.gap.diff == pytest.approx(100.0)
    seen = next(b for b in table.buckets if b.label == "seen")
    assert seen.gap.diff == 0 and not seen.gap.significant
    low, high = seen.scores[0].ci
    assert low <= 100.0 <= high
    assert table.widest.label in {"unseen", "2 tokens", "PER"}  # the same 30 PER entities
    assert table.widest.gap.diff == pytest.approx(100.0)


def test_runs_without_records_are_skipped_with_a_note():
    records = {"a1": _ner(True)}
    table = buckets.bucket_table("ner", [_row("best", ("a1",)), _row("old", ("o1",))], None,
                                 records, {})
    assert table.models == ("best",)
    assert "old" in table.notes[0] and "did not log per-example records" in table.notes[0]
    assert all(b.gap is None for b in table.buckets)  # no pair left to compare
    assert buckets.bucket_table("ner", [_row("old", ("o1",))], None, records, {}) is None


def test_translation_buckets_read_bleu_stats_of_the_stats_artifact():
    test = [Example(("a",) * (i % 6 + 1), target=("b", "c")) for i in range(9)]
    rec = example_records("translation", [], test, [["b", "c"]] * 9)
    bleu = np.ones((9, 10), dtype=int)
    found = buckets.run_buckets("translation", rec, {"stats": {"bleu": bleu.tolist()}})
    assert sum(n for _, n in found.values()) == 9
    assert buckets.run_buckets("translation", rec, None) is None  # no stats: no buckets


def test_disagreements_show_gold_and_both_outputs_seeded():
    a, b = _ner(True), _ner(False)
    shown = disagreements.disagreements("ner", ["best", "second"], [a, b])
    assert len(shown) == 3
    first = shown[0]
    assert first.gold == "Paris (LOC); Ada Lovelace (PER)"
    assert [(o.model, o.text, o.correct) for o in first.outputs] == [
        ("best", "Paris (LOC); Ada Lovelace (PER)", True), ("second", "Paris (LOC)", False)]
    assert first.text.startswith("Paris met Ada Lovelace")
    assert disagreements.disagreements("ner", ["best", "second"], [a, b]) == shown  # seeded
    assert disagreements.disagreements("ner", ["x", "y"], [a, _ner(True)]) == []  # agree


def test_the_widest_gap_is_the_largest_significant_one_when_there_is_one():
    """A tiny bucket's large but untestable-in-practice gap never hides a significant one;
    with no significant gap the largest gap is named (as no detectable difference)."""
    from reports.significance import Comparison

    def bucket(label: str, size: int, diff: float, significant: bool):
        gap = Comparison(significant, diff, 0.01 if significant else 0.29, (diff - 5, diff + 5),
                         "paired bootstrap")
        return buckets.Bucket("entity type", label, size, "entities", (), gap)

    noisy, solid = bucket("sportsteam", 2, 30.8, False), bucket("person", 119, 5.0, True)
    assert buckets.BucketTable("f1", ("a", "b"), (noisy, solid)).widest is solid
    quiet = bucket("person", 119, 5.0, False)
    assert buckets.BucketTable("f1", ("a", "b"), (noisy, quiet)).widest is noisy
