"""Seeded splits and nested training subsets."""
from __future__ import annotations

from collections import Counter

import pytest

from zoo.data.cards import SplitSpec
from zoo.data.errors import DatasetError
from zoo.data.splits import train_subset
from zoo.data.splits import seeded_order, split_examples
from zoo.data.types import Example

EXAMPLES = tuple(Example(tokens=(f"w{i}",), label="pos" if i % 3 else "neg") for i in range(1000))


def test_subsets_are_nested_prefixes_for_one_seed() -> None:
    small, large = train_subset(EXAMPLES, 500, seed=7), train_subset(EXAMPLES, 1000, seed=7)
    assert large[:500] == small
    assert set(large) == set(EXAMPLES)
    assert train_subset(EXAMPLES, 0.25, seed=7) == large[:250]


def test_subsets_are_deterministic_and_depend_on_the_seed() -> None:
    assert train_subset(EXAMPLES, 100, seed=1) == train_subset(list(EXAMPLES), 100, seed=1)
    assert train_subset(EXAMPLES, 100, seed=1) != train_subset(EXAMPLES, 100, seed=2)
    # Not just the first 100 examples of the file.
    assert train_subset(EXAMPLES, 100, seed=1) != EXAMPLES[:100]


def test_seeded_order_is_pinned() -> None:
    # Hash-based: the same on every machine and Python version. A change here reshuffles
    # every split and subset, so it must be deliberate.
    assert seeded_order(["a", "b", "c", "d"], 0) == [0, 2, 1, 3]


def test_fraction_rounds_and_never_returns_nothing() -> None:
    assert len(train_subset(EXAMPLES[:10], 0.01, seed=0)) == 1
    assert len(train_subset(EXAMPLES[:10], 1.0, seed=0)) == 10


@pytest.mark.parametrize("size", [0, -1, 1001, 0.0, 1.5, -0.1, True, "10"])
def test_bad_subset_sizes_are_clear_errors(size: object) -> None:
    with pytest.raises(DatasetError, match="subset"):
        train_subset(EXAMPLES, size, seed=0)  # type: ignore[arg-type]


def test_subset_of_empty_split_is_an_error() -> None:
    with pytest.raises(DatasetError, match="empty"):
        train_subset((), 1, seed=0)


def test_stratified_split_keeps_label_balance_and_is_deterministic() -> None:
    spec = SplitSpec("stratified", seed=3, fractions=(0.8, 0.1, 0.1))
    splits = split_examples(EXAMPLES, spec)
    assert {k: len(v) for k, v in splits.items()} == {"train": 800, "dev": 100, "test": 100}
    for part in splits.values():
        counts = Counter(ex.label for ex in part)
        assert abs(counts["neg"] / len(part) - 334 / 1000) < 0.01
    assert split_examples(EXAMPLES, spec) == splits
    assert not set(splits["train"]) & set(splits["test"])
    assert split_examples(EXAMPLES, SplitSpec("stratified", 4, (0.8, 0.1, 0.1))) != splits


def test_grouped_split_never_puts_one_source_in_two_splits() -> None:
    pairs = [Example(tokens=(f"s{i // 3}",), target=(f"t{i}",)) for i in range(300)]
    splits = split_examples(pairs, SplitSpec("grouped", seed=0, dev_groups=5, test_groups=5))
    sources = {name: {ex.tokens for ex in part} for name, part in splits.items()}
    assert len(sources["dev"]) == 5 and len(sources["test"]) == 5
    assert len(splits["dev"]) == 15
    assert not (sources["train"] & sources["dev"] or sources["train"] & sources["test"]
                or sources["dev"] & sources["test"])


def test_grouped_split_caps_heldout_share_on_small_data() -> None:
    pairs = [Example(tokens=(f"s{i}",), target=("t",)) for i in range(30)]
    splits = split_examples(pairs, SplitSpec("grouped", seed=0, dev_groups=2000,
                                             test_groups=2000))
    assert {k: len(v) for k, v in splits.items()} == {"train": 24, "dev": 3, "test": 3}
