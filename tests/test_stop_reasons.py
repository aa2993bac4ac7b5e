"""Why training stopped (issue 10, item 2): stop reasons, the flat rule, min_epochs, twins."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tests.toy_data import BY_TASK, info_for
from zoo.batching import Collator
from zoo.cells import CellSpec, train_cell
from zoo.configs import TrainConfig
from zoo.device import ENV
from zoo.models import create_model
from zoo.predictors import TRAINING_FILE
from zoo.train import seed_everything, stop_summary, train_model


def _train(scores: list[float], **cfg_fields):
    """tiny_lstm on toy sentiment with a scripted dev score per epoch (deterministic)."""
    seed_everything(0)
    info = info_for("sentiment")
    model = create_model("tiny_lstm", info)
    collator = Collator("sentiment", info.vocab, info.labels, max_len=16)
    script = iter(scores)
    cfg = TrainConfig(**{"epochs": len(scores), "batch_size": 3, **cfg_fields})
    return train_model(model, collator, BY_TASK["sentiment"], cfg, seed=0,
                       dev_score=lambda m: next(script))


def test_patience_exhausted_is_early_stopped_and_converged():
    result = _train([0.5, 0.6, 0.55, 0.55, 0.55, 0.9, 0.9], patience=3)
    assert result.stop_reason == "early_stopped" and result.stopped_early
    assert result.epochs_run == 5 and result.best_epoch == 2
    assert result.converged and not result.still_improving


def test_running_all_epochs_is_epoch_cap_and_rising_dev_is_still_improving():
    result = _train([0.1, 0.2, 0.3, 0.4, 0.5], patience=2)
    assert result.stop_reason == "epoch_cap" and not result.stopped_early
    assert result.epochs_run == 5 and result.still_improving and not result.converged


def test_a_linear_decay_that_ran_to_its_end_is_schedule_end_and_converged():
    """Fine-tuning's schedule: the rate decays linearly to zero at the last step, so running
    every epoch is the whole recipe, not a cut budget; dev rising into the last epoch stays
    on record (still_improving) without making the run unconverged. Other schedules at the
    cap stay epoch_cap, and a linear decay stopped early stays early_stopped."""
    rising = [0.1, 0.2, 0.3, 0.4, 0.5]
    ended = _train(rising, patience=2, decay="linear")
    assert ended.stop_reason == "schedule_end" and ended.converged and ended.still_improving
    capped = _train(rising, patience=2, decay="inverse_sqrt", warmup_steps=1)
    assert capped.stop_reason == "epoch_cap" and not capped.converged
    early = _train([0.5, 0.6, 0.55, 0.55, 0.55], patience=2, decay="linear")
    assert early.stop_reason == "early_stopped"


def test_time_budget_is_time_cap():
    result = _train([0.1, 0.2, 0.3, 0.4], max_train_seconds=1e-9)
    assert result.stop_reason == "time_cap" and result.hit_time_budget
    assert result.epochs_run == 1 and not result.converged


def test_flat_curve_at_the_epoch_cap_counts_as_converged():
    # best of the last 2 (0.601) beats the best before them (0.600) by 0.001 < 0.002
    flat = _train([0.5, 0.6, 0.59, 0.601], patience=2)
    assert flat.stop_reason == "epoch_cap" and flat.converged and flat.still_improving
    # a 0.01 gain in the window is not flat
    rising = _train([0.5, 0.6, 0.59, 0.61], patience=2)
    assert rising.stop_reason == "epoch_cap" and not rising.converged


def test_flat_rule_uses_the_tolerance_and_needs_epochs_before_the_window():
    assert stop_summary([0.5, 0.6, 0.59, 0.601], "epoch_cap", 2, 0.002) == (True, True)
    assert stop_summary([0.5, 0.6, 0.59, 0.601], "epoch_cap", 2, 0.0005) == (True, False)
    assert stop_summary([0.5, 0.6], "epoch_cap", 2, 0.002) == (True, False)  # nothing before
    assert stop_summary([0.6, 0.5, 0.5], "epoch_cap", 2, 0.002) == (False, True)
    assert stop_summary([0.5], "early_stopped", 2, 0.002) == (False, True)


def test_bleu_scale_widens_the_tolerance():
    # 0.1 BLEU gain: flat on the 0-100 scale (tolerance 0.002 * 100 = 0.2)
    result = _train([10.0, 20.0, 19.0, 20.1], patience=2)
    assert not result.converged
    seed_everything(0)
    info = info_for("sentiment")
    model = create_model("tiny_lstm", info)
    script = iter([10.0, 20.0, 19.0, 20.1])
    scaled = train_model(model, Collator("sentiment", info.vocab, info.labels, max_len=16),
                         BY_TASK["sentiment"], TrainConfig(epochs=4, batch_size=3, patience=2),
                         seed=0, dev_score=lambda m: next(script), score_scale=100.0)
    assert scaled.converged


def test_early_stopping_waits_for_min_epochs():
    scores = [0.0] * 6 + [0.5, 0.5]
    assert _train(scores, patience=2).epochs_run == 3  # fires at epoch 3 by default
    late = _train(scores, patience=2, min_epochs=6)
    assert late.stop_reason == "early_stopped" and late.epochs_run == 6
    assert _train(scores, patience=2, min_epochs=8).stop_reason == "epoch_cap"


@pytest.fixture
def toy_data():
    examples = tuple(BY_TASK["sentiment"])
    return SimpleNamespace(splits={"train": examples, "dev": examples, "test": examples},
                           labels=("neg", "pos"), fingerprint="e" * 64)


def test_runtime_twin_inherits_its_base_stop_reason(tmp_path, monkeypatch, toy_data):
    monkeypatch.setenv(ENV, "cpu")
    work = tmp_path / "models"
    overrides = (("epochs", 2),)
    base = train_cell(CellSpec("sentiment", "toy", "tiny_lstm", 1.0, 0, overrides=overrides),
                      toy_data, work)
    record = json.loads((work / base.key / TRAINING_FILE).read_text())
    assert record["stop_reason"] == base.stop_reason != ""
    assert record["epochs_run"] == len(base.epochs)
    # A distinctive record on the base: the twin must read it, not recompute its own.
    record.update(stop_reason="time_cap", converged=False, epochs_run=7, still_improving=True)
    (work / base.key / TRAINING_FILE).write_text(json.dumps(record))
    twin = train_cell(CellSpec("sentiment", "toy", "tiny_lstm_ort", 1.0, 0,
                               overrides=overrides), toy_data, work)
    assert twin.extra_metrics["train/reused_base_weights"] == 1.0
    assert (twin.stop_reason, twin.converged) == ("time_cap", False)
    assert twin.extra_metrics["train/epochs_run"] == 7.0
    assert twin.extra_metrics["train/still_improving"] == 1.0
    assert json.loads((work / twin.key / TRAINING_FILE).read_text())["stop_reason"] == "time_cap"


def test_runtime_twin_reads_test_only(tmp_path, monkeypatch, toy_data):
    """A twin selects nothing, so it predicts test once through its runtime and no dev."""
    import zoo.cells as cells

    monkeypatch.setenv(ENV, "cpu")
    work, overrides = tmp_path / "models", (("epochs", 1),)
    base = train_cell(CellSpec("sentiment", "toy", "tiny_lstm", 1.0, 0, overrides=overrides),
                      toy_data, work)
    read: list[int] = []
    real_load = cells.load_predictor

    def counting_load(model_dir):
        predict, *rest = real_load(model_dir)
        return (lambda examples: read.append(len(examples)) or predict(examples), *rest)

    monkeypatch.setattr(cells, "load_predictor", counting_load)
    twin = train_cell(CellSpec("sentiment", "toy", "tiny_lstm_ort", 1.0, 0,
                               overrides=overrides), toy_data, work)
    assert read == [len(toy_data.splits["test"])]
    assert twin.dev == {} and base.dev and set(twin.test) == set(base.test)


def test_classical_models_are_fitted_and_converged(tmp_path, monkeypatch, toy_data):
    monkeypatch.setenv(ENV, "cpu")
    cell = train_cell(CellSpec("sentiment", "toy", "tfidf_logreg", 1.0, 0), toy_data,
                      tmp_path / "models")
    assert (cell.stop_reason, cell.converged) == ("fitted", True)
    assert cell.extra_metrics["train/converged"] == 1.0
