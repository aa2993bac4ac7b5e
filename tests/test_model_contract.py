"""One contract every registered model passes, for every task it supports (rule 7)."""
from __future__ import annotations

import pytest
import torch

from tests.toy_data import BY_TASK, gold, info_for
from zoo.batching import collator_for
from zoo.configs import TrainConfig
from zoo.predictors import load_predictor, make_predictor, save_model
from zoo.models import create_model, get_entry, list_models
from zoo.train import seed_everything, train_model

# Every tiny neural variant and every classical model; larger variants share their code.
# Runtime twins (_ort, _ort_q8) share their base's module code; tests/test_runtime.py covers them.
CASES = [(name, task) for name in list_models("tiny_*") for task in get_entry(name).tasks
         if get_entry(name).runtime == "torch"]
# Floors (majority_class, all_o, copy_source) cannot fit anything by design; tests/test_floors.py
# checks their outputs and save/load round trip instead.
CLASSICAL = [(name, task) for name in list_models() if get_entry(name).kind == "classical"
             and not get_entry(name).floor for task in get_entry(name).tasks]


def _build(name: str, task: str, seed: int = 0):
    seed_everything(seed)
    info = info_for(task)
    model = create_model(name, info)
    collator = collator_for(model, info, 16)
    return model, collator, info


def test_every_family_has_a_tiny_variant():
    families = {get_entry(n).family for n in list_models() if get_entry(n).kind == "neural"}
    tiny = {get_entry(n).family for n in list_models("tiny_*")}
    assert families <= tiny, f"families without a tiny_* variant: {families - tiny}"


def _states(model, batch, ids=None):
    """Encoder states of a batch, with its characters or subword pieces for a model that
    reads them."""
    ids = batch.ids if ids is None else ids
    if getattr(model, "subwords", None) is not None:
        # Word ids are not its input; its padding pieces (id 0, [PAD]) are what it masks,
        # and the sentence alone vs in a padded batch checks that.
        return model.encoder(batch.pieces, batch.starts, batch.mask)
    if hasattr(model, "encode"):  # classifiers and taggers (zoo.encoder_head)
        return model.encode(ids, batch.mask, batch.chars)
    return model.encoder(ids, batch.mask)


@pytest.mark.parametrize("name,task", CASES)
def test_encoder_shapes_and_padding_invariance(name, task):
    model, collator, _ = _build(name, task)
    model.eval()
    examples = BY_TASK[task]
    batch = collator(examples)
    states = _states(model, batch)
    assert states.shape[:2] == batch.ids.shape and states.shape[2] == model.encoder.output_dim
    # The same sentence alone and inside a padded batch must give the same states.
    alone = collator(examples[:1])
    n = alone.ids.shape[1]
    single = _states(model, alone)
    torch.testing.assert_close(states[0, :n], single[0], atol=1e-5, rtol=1e-4)
    # Changing what sits in padding positions changes nothing.
    noisy_ids = batch.ids.masked_fill(~batch.mask, 3)
    torch.testing.assert_close(_states(model, batch, noisy_ids)[batch.mask],
                               states[batch.mask], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name,task", CASES)
def test_gradients_reach_every_trainable_parameter(name, task):
    model, collator, _ = _build(name, task)
    model.train()
    model.loss(collator(BY_TASK[task])).backward()
    missing = [n for n, p in model.named_parameters()
               if p.requires_grad and (p.grad is None or not torch.isfinite(p.grad).all())]
    assert not missing, f"no finite gradient for {missing}"


@pytest.mark.parametrize("name,task", CASES)
def test_seeded_determinism(name, task):
    a, collator, _ = _build(name, task, seed=3)
    b, _, _ = _build(name, task, seed=3)
    batch = collator(BY_TASK[task])
    a.eval(), b.eval()
    torch.testing.assert_close(a.loss(batch), b.loss(batch))


@pytest.mark.parametrize("name,task", CASES + CLASSICAL)
def test_overfits_a_small_batch_and_round_trips(name, task, tmp_path):
    model, collator, info = _build(name, task)
    examples = BY_TASK[task]
    if get_entry(name).kind == "classical":
        model.fit(examples, examples)
        collator = None
    else:
        cfg = TrainConfig(epochs=150, batch_size=len(examples), lr=0.02, patience=150)
        predictor = make_predictor(model, collator)

        def exact(m):
            return sum(p == g for p, g in zip(predictor(examples), gold(examples, task)))

        result = train_model(model, collator, examples, cfg, seed=0, dev_score=exact)
        assert result.epochs[-1].train_loss < result.epochs[0].train_loss
    predictor = make_predictor(model, collator)
    predictions = predictor(examples)
    assert predictions == gold(examples, task), f"{name} did not fit {len(examples)} examples"
    save_model(tmp_path / "m", name, model, collator, info)
    reloaded, _ = load_predictor(tmp_path / "m")
    assert reloaded(examples) == predictions
