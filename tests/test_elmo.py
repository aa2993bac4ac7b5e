"""The ELMo family: character ids, biLM causality, pretraining, its cache, frozen training."""
from __future__ import annotations

import dataclasses
import json
import random
import time
from itertools import pairwise

import pytest
import torch

from tests.toy_data import BY_TASK, info_for
from zoo.batching import Collator, collator_for
from zoo.configs import TrainConfig
from zoo.corpus import PretrainContext
from zoo.data.types import Example
from zoo.encoders import bilm_training
from zoo.encoders.bilm_training import cache_paths, load_or_pretrain, run_pretraining
from zoo.encoders.chars import BOW, EOW, char_ids
from zoo.encoders.elmo import BiLM, encode_chars, reverse_padded
from zoo.encoders.feature_cache import FeatureCache
from zoo.families.elmo import TINY
from zoo.models import create_model
from zoo.train import seed_everything, train_model


def _corpus(n: int = 200, seed: int = 0) -> tuple[tuple[str, ...], ...]:
    """Repetitive sentences from a few templates: an LM learns them within one epoch."""
    rng = random.Random(seed)
    subjects, verbs = ["the cat", "a dog", "my friend", "the film"], ["likes", "sees", "hates"]
    objects = ["the park", "a movie", "good food", "the sea"]
    return tuple(tuple(f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)} ."
                       .split()) for _ in range(n))


def _ctx(tmp_path, sentences, seed: int = 0) -> PretrainContext:
    return PretrainContext(sentences, tmp_path / "pretrained", "f" * 64, seed)


def test_char_ids_are_bytes_with_markers_and_padding():
    assert char_ids("ab", 6) == [BOW, ord("a") + 1, ord("b") + 1, EOW, 0, 0]
    assert char_ids("<pad>", 4) == [0, 0, 0, 0]
    long = char_ids("abcdefgh", 5)  # truncated to 3 bytes between the markers
    assert long == [BOW, ord("a") + 1, ord("b") + 1, ord("c") + 1, EOW]
    assert len(char_ids("é", 6)) == 6 and char_ids("é", 6)[1:3] == [0xC3 + 1, 0xA9 + 1]


def test_reverse_padded_reverses_within_each_length():
    x = torch.arange(8.0).view(2, 4, 1)  # (B, T, 1)
    out = reverse_padded(x, torch.tensor([4, 2]))
    assert out[..., 0].tolist() == [[3, 2, 1, 0], [5, 4, 6, 7]]


def test_bilm_directions_only_see_their_own_side():
    """Forward states at t ignore tokens after t; backward states ignore tokens before t."""
    torch.manual_seed(0)
    bilm = BiLM(TINY).eval()
    chars = torch.randint(1, 200, (10, TINY.max_chars))  # 10 word types
    index = torch.tensor([[1, 2, 3, 4, 5]])
    changed = torch.tensor([[1, 2, 3, 9, 8]])  # differs from position 3 on
    mask = torch.ones(1, 5, dtype=torch.bool)
    p = TINY.proj
    a, b = bilm(chars, index, mask), bilm(chars, changed, mask)
    for layer_a, layer_b in zip(a[1:], b[1:]):
        torch.testing.assert_close(layer_a[:, :3, :p], layer_b[:, :3, :p])  # forward half
        assert not torch.allclose(layer_a[:, :3, p:], layer_b[:, :3, p:])  # backward half


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """One pretraining run on the small corpus (3 epochs of the tiny biLM)."""
    cfg = dataclasses.replace(TINY, epochs=3, max_seconds=120.0, batch_size=8)
    ctx = _ctx(tmp_path_factory.mktemp("elmo"), _corpus())
    started = time.perf_counter()
    state, metrics, curves = load_or_pretrain(cfg, ctx)
    return cfg, ctx, state, metrics, curves, time.perf_counter() - started


def test_pretraining_perplexity_falls(pretrained):
    _, _, _, metrics, curves, _ = pretrained
    curve = curves["curve/pretrain_perplexity"]
    assert len(curve) == 4  # before training, then after each of 3 epochs
    assert all(later < earlier for earlier, later in pairwise(curve)), curve
    assert metrics["pretrain/perplexity"] < curve[0] / 2
    assert metrics["pretrain/perplexity"] == pytest.approx(curve[-1])
    assert metrics["pretrain/cache_hit"] == 0.0
    assert metrics["pretrain/sentences"] + metrics["pretrain/heldout_sentences"] == 200


def test_second_call_hits_the_cache(pretrained, monkeypatch):
    cfg, ctx, state, metrics, curves, first_seconds = pretrained

    def no_training(*args, **kwargs):
        raise AssertionError("a cache hit must not pretrain again")

    monkeypatch.setattr(bilm_training, "run_pretraining", no_training)
    weights, sidecar = cache_paths(cfg, ctx.cache_dir, ctx.data_fingerprint, ctx.seed)
    assert weights.exists() and weights.name.startswith(f"elmo-{cfg.name}-")
    assert "seed0" in weights.name and "f" * 16 in weights.name
    assert "cat" in json.loads(sidecar.read_text())["lm_vocab"]
    started = time.perf_counter()
    again, hit_metrics, hit_curves = load_or_pretrain(cfg, ctx)
    assert time.perf_counter() - started < min(1.0, first_seconds)
    assert hit_metrics["pretrain/cache_hit"] == 1.0 and hit_curves == curves
    assert hit_metrics["pretrain/perplexity"] == metrics["pretrain/perplexity"]
    assert all(torch.equal(again[k], v) for k, v in state.items())
    # Another seed is another biLM.
    other = dataclasses.replace(ctx, seed=1)
    assert cache_paths(cfg, other.cache_dir, other.data_fingerprint, 1)[0] != weights


def test_pretraining_is_seeded_and_leaves_global_rng_alone():
    sentences = _corpus(40)
    cfg = dataclasses.replace(TINY, epochs=1)
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = run_pretraining(cfg, sentences, seed=5)
    assert torch.equal(torch.rand(1), expected_next)
    b = run_pretraining(cfg, sentences, seed=5)
    assert all(torch.equal(a.state[k], b.state[k]) for k in a.state)


def test_pretrain_hook_loads_weights_and_describes(tmp_path):
    model = create_model("tiny_elmo_frozen", info_for("sentiment"))
    metrics, curves = model.pretrain(_ctx(tmp_path, _corpus(60)))
    assert "pretrain/perplexity" in metrics and len(curves["curve/pretrain_perplexity"]) == 2
    state, _, _ = load_or_pretrain(TINY, _ctx(tmp_path, _corpus(60)))
    loaded = model.encoder.bilm.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())
    described = model.describe()
    assert described["elmo_mode"] == "frozen" and described["bilm_size"] == "tiny"
    assert described["pretrain_epochs"] == TINY.epochs


@pytest.mark.parametrize("name,changes", [("tiny_elmo_frozen", False),
                                          ("tiny_elmo_finetune", True)])
def test_frozen_bilm_stays_unchanged_while_finetuned_one_moves(name, changes):
    seed_everything(0)
    info = info_for("ner")
    model = create_model(name, info)
    before = {k: v.clone() for k, v in model.encoder.bilm.state_dict().items()}
    collator = collator_for(model, info, 16)
    cfg = TrainConfig(epochs=3, batch_size=2, lr=0.01, patience=3)
    train_model(model, collator, BY_TASK["ner"], cfg, seed=0, dev_score=lambda m: 0.0)
    # train_model restores the best (first) epoch; compare after a further manual step too.
    model.train()
    model.loss(collator(BY_TASK["ner"])).backward()
    torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1).step()
    after = model.encoder.bilm.state_dict()
    moved = any(not torch.equal(before[k], after[k]) for k in before)
    assert moved == changes
    assert model.encoder.bilm.training is changes  # a frozen biLM never runs in train mode


def test_a_pretraining_time_cap_from_the_context_is_cached_apart(tmp_path):
    ctx = _ctx(tmp_path, _corpus(40))
    capped = dataclasses.replace(ctx, max_seconds=5.0)  # as TrainConfig.pretrain_max_seconds
    model = create_model("tiny_elmo_frozen", info_for("sentiment"))
    model.pretrain(capped)
    written = {p.name for p in (tmp_path / "pretrained").glob("*.pt")}
    full = cache_paths(TINY, ctx.cache_dir, ctx.data_fingerprint, ctx.seed)[0].name
    capped_name = cache_paths(dataclasses.replace(TINY, max_seconds=5.0), ctx.cache_dir,
                              ctx.data_fingerprint, ctx.seed)[0].name
    assert written == {capped_name} and capped_name != full
    assert model.describe()["pretrain_max_seconds"] == 5.0


def test_a_pretraining_step_budget_stops_there_and_is_cached_apart(tmp_path):
    """A profile's step budget (TrainConfig.pretrain_max_steps) gives the same biLM on a
    busy machine as on an idle one: it stops after exactly that many optimizer steps."""
    # A safety cap above the biLM's own (TINY: 30 s) replaces it when steps decide.
    ctx = dataclasses.replace(_ctx(tmp_path, _corpus(200)), max_steps=3, max_seconds=600.0)
    model = create_model("tiny_elmo_frozen", info_for("sentiment"))
    metrics, _ = model.pretrain(ctx)
    assert metrics["pretrain/steps"] == 3 and metrics["pretrain/hit_time_budget"] == 0
    assert metrics["pretrain/epochs"] < 1  # 200 sentences are 7 batches of 32
    stepped = cache_paths(dataclasses.replace(TINY, max_steps=3, max_seconds=600.0),
                          ctx.cache_dir, ctx.data_fingerprint, ctx.seed)[0]
    assert stepped.exists() and model.describe()["pretrain_max_steps"] == 3
    assert model.describe()["pretrain_max_seconds"] == 600.0


def _batches(info, examples, size):
    collator = Collator("ner", info.vocab, info.labels, max_len=16, max_chars=TINY.max_chars)
    return [collator(examples[k:k + size]) for k in range(0, len(examples), size)]


def test_frozen_bilm_features_are_cached_per_sentence_and_equal_fresh_ones():
    """Epoch 2 (other batch composition, other padding) reads every sentence from the cache,
    with the layers a fresh biLM pass gives on every real position."""
    seed_everything(0)
    info = info_for("ner")
    encoder = create_model("tiny_elmo_frozen", info).encoder.train()
    cache = encoder.feature_cache
    examples = list(BY_TASK["ner"])
    for batch in _batches(info, examples, 3):  # epoch 1: all misses
        encoder.bilm_layers(batch.chars, batch.mask)
    assert cache.hits == 0 and cache.misses == len(examples) == len(cache)
    for batch in _batches(info, examples[::-1], 2):  # epoch 2: all hits
        cached = encoder.bilm_layers(batch.chars, batch.mask)  # (3, B, T, 2P)
        fresh = torch.stack(encode_chars(encoder.bilm, batch.chars, batch.mask))
        real = batch.mask[None, :, :, None].expand_as(fresh)
        assert torch.allclose(cached[real], fresh[real], atol=1e-6)
    assert cache.hits == len(examples)


def test_feature_cache_stays_out_of_inference_and_is_cleared_by_new_weights():
    info = info_for("ner")
    model = create_model("tiny_elmo_frozen", info)
    batch = _batches(info, list(BY_TASK["ner"]), 4)[0]
    model.eval()
    model.encoder.bilm_layers(batch.chars, batch.mask)  # a repeated latency call must not hit
    assert len(model.encoder.feature_cache) == 0 and model.encoder.feature_cache.misses == 0
    model.train()
    model.encoder.bilm_layers(batch.chars, batch.mask)
    assert len(model.encoder.feature_cache) == 4
    model.load_state_dict(model.state_dict())  # as pretrain() and best-epoch restore do
    assert len(model.encoder.feature_cache) == 0
    assert create_model("tiny_elmo_finetune", info).encoder.feature_cache is None


def test_feature_cache_over_its_memory_budget_computes_without_storing():
    calls = []

    def compute(ids, mask):  # (b, T) -> (1, b, T, 1): each token's id as its feature
        calls.append(len(ids))
        return ids[None, :, :, None].float()

    cache = FeatureCache(max_bytes=8)  # room for one two-token row of float32
    ids = torch.tensor([[5, 6], [7, 0], [8, 0]])
    mask = ids > 0
    first = cache.layers(ids, mask, compute)
    again = cache.layers(ids, mask, compute)
    assert calls == [3, 2] and len(cache) == 1  # [5, 6] stored; [7] and [8] over budget
    assert torch.equal(first[0, :, :, 0], ids.float()) and torch.equal(again, first)


def test_an_unseen_word_is_read_by_its_spelling_not_as_unk():
    """Two words outside the vocabulary share the <unk> id but not their biLM features."""
    torch.manual_seed(0)
    info = info_for("ner")
    model = create_model("tiny_elmo_frozen", info).eval()
    collator = Collator("ner", info.vocab, info.labels, max_chars=model.max_chars)
    a, b = (Example(tokens=("the", word), tags=("O", "O")) for word in ("zqxj", "Ohio"))
    batch_a, batch_b = collator([a]), collator([b])
    assert torch.equal(batch_a.ids, batch_b.ids)  # both unseen: <unk>
    assert not torch.equal(model(batch_a.ids, batch_a.mask, batch_a.chars),
                           model(batch_b.ids, batch_b.mask, batch_b.chars))
