"""Configuration overrides and the registry refuse bad input with a one-line error."""
from __future__ import annotations

import pytest

from zoo.configs import TrainConfig, apply_overrides, config_hash, parse_overrides
from zoo.errors import ConfigError
from zoo.model_catalog import register_model
from zoo.models import check_supports, get_entry, list_models
from zoo.sweep.plan import plan_cells


def test_overrides_are_parsed_and_typed():
    cfg = apply_overrides(TrainConfig(), parse_overrides(["epochs=3", "lr=0.01", "decay=linear"]))
    assert (cfg.epochs, cfg.lr, cfg.decay) == (3, 0.01, "linear")
    assert isinstance(apply_overrides(TrainConfig(), {"lr": 1}).lr, float)


@pytest.mark.parametrize("items,message", [
    (["epoch=3"], "unknown TrainConfig key 'epoch'"),
    (["epochs=three"], "TrainConfig.epochs must be"),
    (["epochs=2.5"], "TrainConfig.epochs must be"),
    (["decay=cosine"], "decay='cosine' is not one of"),
    (["epochs"], "is not key=value"),
])
def test_bad_overrides_are_refused(items, message):
    with pytest.raises(ConfigError, match=message):
        apply_overrides(TrainConfig(), parse_overrides(items))


def test_config_hash_changes_with_config():
    assert config_hash(TrainConfig()) == config_hash(TrainConfig())
    assert config_hash(TrainConfig()) != config_hash(TrainConfig(epochs=2))


def test_unknown_model_lists_close_matches():
    with pytest.raises(ConfigError, match="did you mean .*bilstm_small"):
        get_entry("bilstm_smal")


def test_model_that_does_not_support_task_says_so():
    with pytest.raises(ConfigError, match="does not support task 'translation'"):
        check_supports("tfidf_logreg", "translation")


def test_duplicate_registration_raises():
    with pytest.raises(ValueError, match="registered twice"):
        register_model("tiny_lstm", family="lstm", tasks=("sentiment",), size="tiny")(
            lambda info: None)


def test_list_models_patterns_and_task_filter():
    assert "bilstm_small" in list_models("bilstm*")
    assert all(n.startswith(("bilstm", "tfidf")) for n in list_models("bilstm*,tfidf*"))
    assert "tfidf_logreg" not in list_models(task="ner")


def test_plan_rejects_unknown_names_and_empty_matrix():
    with pytest.raises(ConfigError, match="unknown profile"):
        plan_cells("nightly")
    with pytest.raises(ConfigError, match="matrix is empty"):
        plan_cells("quick", models=["no_such_model*"])
    with pytest.raises(ConfigError, match="unknown TrainConfig key"):
        plan_cells("quick", overrides={"epochz": 1})
    with pytest.raises(Exception, match="unknown dataset|no_such_data"):
        plan_cells("quick", datasets=["no_such_data"])


def test_standard_profile_sizes_and_seeds_per_dataset():
    cells = plan_cells("standard")
    by_dataset = {name: {(c.train_size, c.seed) for c in cells if c.dataset == name}
                  for name in ("mr", "wnut16", "tatoeba-en-es")}
    grid = {(size, seed) for size in (0.1, 0.25, 0.5, 1.0) for seed in (1, 2, 3)}
    assert by_dataset["mr"] == by_dataset["wnut16"] == grid
    assert by_dataset["tatoeba-en-es"] == {(3000, 1), (10000, 1)}
    # --seeds applies to every dataset, translation included
    assert {c.seed for c in plan_cells("standard", seeds=[4])} == {4}


def test_plan_expands_the_matrix():
    cells = plan_cells("quick", datasets=["mr"], models=["tiny_lstm", "tfidf_logreg"],
                       train_sizes=[0.5, 100], seeds=[1, 2])
    # Two named models plus the sentiment floor (majority_class), which every run includes.
    assert len(cells) == 3 * 2 * 2
    assert {c.model for c in cells} == {"tiny_lstm", "tfidf_logreg", "majority_class"}
    assert {c.train_size for c in cells} == {0.5, 100}
