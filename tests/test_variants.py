"""Recipe variants (issue 26 item 3): one recipe field changed, planned beside the model,
keyed apart from it, applied to the built model, tracked with its own tag."""
from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
import torch
from toy_data import BY_TASK, info_for

from zoo.cells import CellSpec, resolve_cell, resolve_train_config, train_cell
from zoo.configs import TrainConfig
from zoo.dropout import Dropout
from zoo.encoders.recurrent import MaskedBatchNorm, RecurrentEncoder
from zoo.errors import ConfigError
from zoo.model_changes import apply_model_changes
from zoo.models import create_model
from zoo.sweep.plan import plan_cells
from zoo.train import lr_lambda
from zoo.variants import VARIANTS, get_variant, shown_name, split_shown


def test_a_variant_changes_one_field_of_the_recipe_and_gets_its_own_key():
    base = CellSpec("sentiment", "mr", "lstm_small", 0.25, 1, "claims")
    for name, variant in VARIANTS.items():
        if "lstm_small" not in variant.models:
            continue
        spec = CellSpec("sentiment", "mr", "lstm_small", 0.25, 1, "claims", variant=name)
        a, b = resolve_train_config(base), resolve_train_config(spec)
        changed = {k for k in vars(a) if getattr(a, k) != getattr(b, k)}
        assert changed == set(variant.changes), name
        assert resolve_cell(spec, "f" * 64).key != resolve_cell(base, "f" * 64).key
    # A user override can make the configs equal (--set clip_norm=0 on every cell): the
    # variant is still its own cell, never the recipe's cached result under another tag.
    same = (("clip_norm", 0.0),)
    plain = dataclasses.replace(base, overrides=same)
    unclipped = dataclasses.replace(base, overrides=same, variant="no_clip")
    assert resolve_train_config(plain) == resolve_train_config(unclipped)
    assert resolve_cell(plain, "f" * 64).key != resolve_cell(unclipped, "f" * 64).key
    assert shown_name("lstm_small", "no_clip") == "lstm_small~no_clip"
    assert split_shown("lstm_small~no_clip") == ("lstm_small", "no_clip")
    with pytest.raises(ConfigError, match="unknown recipe variant"):
        get_variant("no_such_tip")


def test_the_claims_profile_plans_each_variant_beside_its_model_only():
    cells = plan_cells("claims")
    variants = {(c.dataset, c.model, c.variant) for c in cells if c.variant}
    assert ("mr", "lstm_small", "no_clip") in variants
    assert ("wnut16", "bilstm_crf_small", "batch_norm") in variants
    assert ("tatoeba-en-es", "seq2seq_transformer_small", "no_label_smoothing") in variants
    assert not any(m == "bilstm_crf_small" for d, m, _ in variants if d == "mr")  # NER only
    models = {c.model for c in cells}
    assert "cnn_small" not in models and "minilm_l6" not in models  # no variant names them
    # each variant cell has its model's recipe cell at the same size and seed
    recipe = {(c.dataset, c.model, c.train_size, c.seed) for c in cells if not c.variant}
    assert all((c.dataset, c.model, c.train_size, c.seed) in recipe
               for c in cells if c.variant)
    # a profile without variants plans none; a user may ask for one
    assert not any(c.variant for c in plan_cells("quick"))
    asked = plan_cells("quick", datasets=["mr"], models=["lstm_small"], variants=["no_clip"])
    assert {c.variant for c in asked} == {"", "no_clip"}


def _tiny(model: str, task: str = "sentiment"):
    return create_model(model, info_for(task))


def test_model_changes_reach_every_dropout_the_recurrence_and_the_norm():
    torch.manual_seed(0)
    model = _tiny("tiny_lstm")
    apply_model_changes(model, TrainConfig(dropout=0.25), "tiny_lstm")
    rates = [m.p for m in model.modules() if isinstance(m, Dropout)]
    assert rates and all(p == 0.25 for p in rates)

    torch.manual_seed(0)
    recipe, reset = _tiny("tiny_lstm"), _tiny("tiny_lstm")
    apply_model_changes(reset, TrainConfig(init="torch_default"), "tiny_lstm")
    rnn = next(m for m in recipe.modules() if isinstance(m, torch.nn.LSTM))
    rnn2 = next(m for m in reset.modules() if isinstance(m, torch.nn.LSTM))
    assert not torch.equal(rnn.bias_ih_l0, rnn2.bias_ih_l0)  # the forget-gate bias 1 is gone

    apply_model_changes(reset, TrainConfig(batch_norm=True), "tiny_lstm")
    encoder = next(m for m in reset.modules() if isinstance(m, RecurrentEncoder))
    assert isinstance(encoder.norm, MaskedBatchNorm)
    with pytest.raises(ConfigError, match="tiny_cnn has no recurrent encoder"):
        apply_model_changes(_tiny("tiny_cnn"), TrainConfig(batch_norm=True), "tiny_cnn")


def test_masked_batch_norm_ignores_padding():
    torch.manual_seed(0)
    norm = MaskedBatchNorm(3).train()
    states = torch.randn(2, 4, 3)  # (B, T, D)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
    padded = states.clone()
    padded[1, 2:] = 100.0  # garbage at the padded positions must not move the statistics
    a, b = norm(states, mask), MaskedBatchNorm(3).train()(padded, mask)
    assert torch.allclose(a[mask.bool()], b[mask.bool()], atol=1e-6)
    assert torch.all(b[1, 2:] == 0)


def test_skip_warmup_starts_at_the_peak_and_keeps_the_decay():
    warm = lr_lambda(TrainConfig(warmup_steps=10, decay="inverse_sqrt"), 100)
    flat = lr_lambda(TrainConfig(warmup_steps=10, decay="inverse_sqrt", skip_warmup=True), 100)
    assert warm(0) == pytest.approx(0.1) and flat(0) == 1.0
    assert [warm(s) for s in range(10, 100)] == [flat(s) for s in range(10, 100)]


def test_a_variant_cell_trains_and_differs_from_its_model(tmp_path):
    examples = tuple(BY_TASK["sentiment"])
    data = SimpleNamespace(splits={"train": examples, "dev": examples, "test": examples},
                           labels=("neg", "pos"), fingerprint="d" * 64)
    cells = {v: train_cell(CellSpec("sentiment", "toy", "tiny_lstm", 1.0, 0,
                                    overrides=(("epochs", 2),), variant=v), data, tmp_path)
             for v in ("", "batch_norm")}
    assert cells[""].key != cells["batch_norm"].key
    assert all(c.epochs for c in cells.values())
    # The saved variant loads back with its extra layer, as measuring and serving load it
    # (the claims run of 2026-12-07 failed to measure every batch_norm cell before this).
    from zoo.predictors import load_predictor

    predictor, model = load_predictor(tmp_path / cells["batch_norm"].key)
    assert any(isinstance(m, MaskedBatchNorm) for m in model.modules())
    assert len(predictor(list(examples))) == len(examples)


def test_the_cli_plans_named_variants_and_refuses_unknown_ones(capsys, zoo_home):
    from zoo.cli import main

    assert main(["bench", "--models", "lstm_small", "--datasets", "mr", "--variants",
                 "no_clip", "--dry-run"]) == 0
    assert "recipe variants: lstm_small~no_clip" in capsys.readouterr().out
    assert main(["bench", "--variants", "no_such", "--dry-run"]) == 2
    assert "unknown recipe variant 'no_such'" in capsys.readouterr().err
    assert main(["models", "--variants"]) == 0
    assert "batch_norm" in capsys.readouterr().out
    with pytest.raises(ConfigError, match="'no_clip' runs beside lstm_small"):
        plan_cells("quick", datasets=["mr"], models=["cnn_small"], variants=["no_clip"])
