"""zoo.sweep.plan and zoo.sweep.matrix: the matrix is parsed into typed values once and checked
before any work, whoever calls it (the CLI's argparse types, the flow's typed parameters)."""
from __future__ import annotations

import pytest

from zoo.data import get_card
from zoo.errors import ConfigError
from zoo.sweep.matrix import parse_names, parse_seeds, parse_sizes, split_list
from zoo.sweep.plan import count_of, plan_cells, training_split_size


def test_text_becomes_typed_lists():
    assert split_list(" mr, wnut16 ,,") == ["mr", "wnut16"]
    assert parse_sizes("0.25,1.0,500") == [0.25, 1.0, 500]
    assert [type(s) for s in parse_sizes("0.25,500")] == [float, int]  # fraction vs count
    assert parse_seeds("1, 2") == [1, 2]
    with pytest.raises(ConfigError, match="names nothing"):
        parse_names(" , ")


@pytest.mark.parametrize("sizes, seeds, message", [
    ([0], None, "training size '0': a count must be at least 1"),
    ([1.5], None, "training size '1.5': a fraction must be in (0, 1]"),
    (None, [-1], "seed '-1' must be in [0, 2**32)"),
])
def test_typed_values_from_any_caller_get_the_cli_s_messages(sizes, seeds, message):
    with pytest.raises(ConfigError) as err:
        plan_cells("quick", datasets=["mr"], models=["tfidf_logreg"], train_sizes=sizes,
                   seeds=seeds)
    assert message in str(err.value)


def test_a_count_larger_than_the_training_split_fails_at_planning():
    # wnut17's card names its training split exactly; mr's is a fraction of one file.
    assert training_split_size(get_card("wnut17")) == (3394, True)
    assert training_split_size(get_card("mr")) == (8484, False)
    with pytest.raises(ConfigError) as err:
        plan_cells("quick", datasets=["wnut17"], models=["feature_crf"], train_sizes=[3395])
    assert str(err.value) == ("training size 3395 is larger than wnut17's training split "
                              "(3,394 examples); use a count up to 3,394 or a fraction like 0.5")
    assert plan_cells("quick", datasets=["wnut17"], models=["feature_crf"],
                      train_sizes=[3394, 1.0], seeds=[1])  # the whole split, twice spelt
    with pytest.raises(ConfigError, match=r"mr's training split \(about 8,484 examples\)"):
        plan_cells("quick", datasets=["mr"], models=["tfidf_logreg"], train_sizes=[9000])


def test_sizes_are_shown_as_counts():
    assert count_of(500, get_card("mr")) == "500"
    assert count_of(0.1, get_card("mr")) == "~848"  # about: the split rounds per label
    assert count_of(0.5, get_card("wnut17")) == "1,697"
