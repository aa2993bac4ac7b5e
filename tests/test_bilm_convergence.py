"""The biLM pretrained until held-out perplexity stops improving: early stopping restores
the best weights, the caps are reported as not converged, the cache keeps converged and
budgeted biLMs apart and reuses a converged one, and the profiles' settings validate."""
from __future__ import annotations

import dataclasses
import random
from types import SimpleNamespace

import pytest
import torch

from tests.toy_data import info_for
from zoo.configs import PROFILES, TrainConfig, apply_overrides
from zoo.corpus import PretrainContext, run_pretrain_hook
from zoo.encoders import bilm_training
from zoo.encoders.bilm_training import (
    UntilConverged,
    cache_paths,
    load_or_pretrain,
    run_pretraining,
)
from zoo.errors import ConfigError
from zoo.families.elmo import TINY
from zoo.models import create_model

# The tiny biLM learns the template corpus below within ~15 steps of batch 16, then sits on
# a plateau: early stopping fires long before the step cap.
CFG = dataclasses.replace(TINY, batch_size=16, lr=1e-2)
RULE = UntilConverged(patience=2, eval_every=5, min_delta=0.01, max_steps=400,
                      max_seconds=120.0)


def _corpus(n: int = 300, seed: int = 0) -> tuple[tuple[str, ...], ...]:
    rng = random.Random(seed)
    subjects, verbs = ["the cat", "a dog", "my friend"], ["likes", "sees"]
    objects = ["the park", "a movie", "good food"]
    return tuple(tuple(f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)} ."
                       .split()) for _ in range(n))


def _ctx(tmp_path, **budget) -> PretrainContext:
    return PretrainContext(_corpus(), tmp_path / "pretrained", "c" * 64, 0, **budget)


@pytest.fixture(scope="module")
def converged():
    return run_pretraining(CFG, _corpus(), seed=0, until=RULE)


def test_early_stopping_fires_on_a_plateau(converged):
    m, curves = converged.metrics, converged.curves
    ppl, steps = curves["curve/pretrain_perplexity"], curves["curve/pretrain_steps"]
    assert m["pretrain/converged"] == 1.0
    assert m["pretrain/hit_step_cap"] == 0.0 and m["pretrain/hit_time_budget"] == 0.0
    assert m["pretrain/steps"] < RULE.max_steps
    # A point before training, then one every eval_every steps: the curve's x-axis.
    assert steps == list(range(0, int(m["pretrain/steps"]) + 1, RULE.eval_every))
    assert len(ppl) == len(steps) and ppl[-1] < ppl[0] / 2
    per_epoch = -(-m["pretrain/sentences"] // CFG.batch_size)
    assert m["pretrain/epochs"] == pytest.approx(m["pretrain/steps"] / per_epoch)
    assert m["pretrain/corpus_tokens"] >= 5 * m["pretrain/sentences"]
    # Stopped `patience` evaluations after the last point 1 % below the one before it that
    # reset patience (a creep of small gains does not reset it).
    resets = [0]
    for i in range(1, len(ppl)):
        if ppl[i] < ppl[resets[-1]] * (1 - RULE.min_delta):
            resets.append(i)
    assert len(ppl) - 1 - resets[-1] == RULE.patience


def test_the_best_weights_are_restored_and_reported(converged):
    m, ppl = converged.metrics, converged.curves["curve/pretrain_perplexity"]
    best = min(ppl)
    assert m["pretrain/perplexity"] == pytest.approx(best)
    assert m["pretrain/best_step"] == converged.curves["curve/pretrain_steps"][ppl.index(best)]
    # The restored state scores the best perplexity again, not the last one.
    again = run_pretraining(CFG, _corpus(), seed=0,
                            until=dataclasses.replace(RULE, max_steps=int(m["pretrain/best_step"])))
    assert all(torch.equal(converged.state[k], again.state[k]) for k in again.state)


def test_the_step_cap_is_reported_as_not_converged():
    m = run_pretraining(CFG, _corpus(), 0, until=dataclasses.replace(RULE, max_steps=7)).metrics
    assert m["pretrain/converged"] == 0.0 and m["pretrain/hit_step_cap"] == 1.0
    assert m["pretrain/steps"] == 7 and m["pretrain/hit_time_budget"] == 0.0


def test_the_time_cap_is_reported_as_not_converged():
    capped = dataclasses.replace(RULE, max_seconds=1e-6)  # over after the first step
    result = run_pretraining(CFG, _corpus(), 0, until=capped)
    m = result.metrics
    assert m["pretrain/converged"] == 0.0 and m["pretrain/hit_time_budget"] == 1.0
    assert m["pretrain/steps"] == 1 and result.curves["curve/pretrain_steps"] == [0, 1]


def test_a_budgeted_biLM_reports_its_steps_and_is_not_converged():
    budget = dataclasses.replace(CFG, epochs=1, max_steps=4)
    result = run_pretraining(budget, _corpus(), seed=0)
    assert result.metrics["pretrain/converged"] == 0.0
    assert result.metrics["pretrain/hit_step_cap"] == 1.0
    assert result.curves["curve/pretrain_steps"] == [0, 4]


def test_the_cache_keeps_converged_and_budgeted_apart_and_reuses_converged(
        tmp_path, monkeypatch):
    ctx = _ctx(tmp_path)
    budgeted = dataclasses.replace(CFG, max_steps=5)
    load_or_pretrain(budgeted, ctx)
    _, first, _ = load_or_pretrain(CFG, ctx, until=RULE)
    assert first["pretrain/converged"] == 1.0 and first["pretrain/cache_hit"] == 0.0
    names = {p.name for p in ctx.cache_dir.glob("*.pt")}
    assert names == {cache_paths(budgeted, ctx.cache_dir, "c" * 64, 0)[0].name,
                     cache_paths(CFG, ctx.cache_dir, "c" * 64, 0, RULE)[0].name}
    assert any("-converged-" in n for n in names)

    def no_training(*args, **kwargs):
        raise AssertionError("a converged biLM in the cache must be reused")

    monkeypatch.setattr(bilm_training, "run_pretraining", no_training)
    # Other safety caps (a later profile's) still reuse the converged biLM.
    other_caps = dataclasses.replace(RULE, max_steps=10_000, max_seconds=999.0)
    _, hit, curves = load_or_pretrain(CFG, ctx, until=other_caps)
    assert hit["pretrain/cache_hit"] == 1.0 and hit["pretrain/converged"] == 1.0
    assert "curve/pretrain_steps" in curves
    # Another stopping rule is another biLM.
    assert cache_paths(CFG, ctx.cache_dir, "c" * 64, 0, dataclasses.replace(RULE, patience=3)) \
        != cache_paths(CFG, ctx.cache_dir, "c" * 64, 0, RULE)


def test_a_capped_biLM_is_cached_under_its_caps_not_as_converged(tmp_path):
    ctx = _ctx(tmp_path)
    capped = dataclasses.replace(RULE, max_steps=3)
    _, metrics, _ = load_or_pretrain(CFG, ctx, until=capped)
    assert metrics["pretrain/converged"] == 0.0
    converged_path = cache_paths(CFG, ctx.cache_dir, "c" * 64, 0, capped)[0]
    capped_path = cache_paths(CFG, ctx.cache_dir, "c" * 64, 0, capped, converged=False)[0]
    assert capped_path.exists() and not converged_path.exists()
    _, again, _ = load_or_pretrain(CFG, ctx, until=capped)  # the same caps: reused
    assert again["pretrain/cache_hit"] == 1.0


def test_the_hook_passes_the_settings_and_describes_convergence(tmp_path):
    model = create_model("tiny_elmo_frozen", info_for("sentiment"))
    assert model.describe()["bilm_converged"] == "unknown"
    ctx = _ctx(tmp_path, until_converged=True, patience=2, max_steps=400, max_seconds=120.0,
               eval_every=5)
    metrics, curves = model.pretrain(ctx)
    described = model.describe()
    assert metrics["pretrain/converged"] == 1.0 and described["bilm_converged"] is True
    assert described["pretrain_until_converged"] is True
    assert (described["pretrain_patience"], described["pretrain_eval_every"]) == (2, 5)
    assert (described["pretrain_max_steps"], described["pretrain_max_seconds"]) == (400, 120.0)
    assert len(curves["curve/pretrain_steps"]) == len(curves["curve/pretrain_perplexity"])
    budgeted = create_model("tiny_elmo_frozen", info_for("sentiment"))
    budgeted.pretrain(_ctx(tmp_path, max_steps=3))
    assert budgeted.describe()["bilm_converged"] is False
    assert budgeted.describe()["pretrain_until_converged"] is False


def test_the_hook_runner_passes_the_profile_settings_on(tmp_path):
    """TrainConfig's pretrain_* fields reach the hook's context (zoo.cells passes them)."""
    seen = []

    class Hooked:
        def pretrain(self, ctx):
            seen.append(ctx)
            return {}, {}

    data = SimpleNamespace(fingerprint="d" * 64, splits={"train": [SimpleNamespace(
        tokens=("a", "b"))]}, card=SimpleNamespace(language="en"))
    run_pretrain_hook(Hooked(), data, tmp_path / "models", 1, 5400.0, None, 60000,
                      until_converged=True, patience=4)
    ctx = seen[0]
    assert (ctx.until_converged, ctx.patience, ctx.max_steps, ctx.max_seconds) == \
        (True, 4, 60000, 5400.0)


@pytest.mark.parametrize("name", ["standard", "full"])
def test_standard_and_full_pretrain_until_converged_within_a_safety_cap(name):
    cfg = apply_overrides(TrainConfig(), PROFILES[name].train)
    assert cfg.pretrain_until_converged and cfg.pretrain_patience >= 1
    assert cfg.pretrain_max_seconds > 0  # a safety net, reported when hit
    if name == "standard":  # inside the 2.5 h the standard run must fit, beside the cells
        assert cfg.pretrain_max_seconds <= 1.5 * 3600
    assert cfg.pretrain_max_steps > 10_000  # generous: never what stops it
    quick = apply_overrides(TrainConfig(), PROFILES["quick"].train)
    assert not quick.pretrain_until_converged and quick.pretrain_max_steps == 400


@pytest.mark.parametrize("bad", [{"pretrain_patience": -1}, {"pretrain_max_steps": -5},
                                 {"pretrain_patience": 3}])  # patience without until_converged
def test_bad_pretraining_settings_are_errors(bad):
    with pytest.raises(ConfigError):
        TrainConfig(**bad)


def test_a_bad_stopping_rule_is_an_error():
    with pytest.raises(ValueError):
        UntilConverged(patience=0)
