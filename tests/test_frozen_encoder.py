"""The ELMo recipe on a pretrained encoder (zoo.encoders.frozen_bert): the encoder stays
frozen, only the scalar mix and the task layer train, features are computed once per
sentence while a cell trains (never for a model loaded to serve), and the learned mix is
logged."""
from __future__ import annotations

import pytest
import torch

from tests.toy_data import BY_TASK, info_for
from zoo.batching import collator_for
from zoo.encoders.scalar_mix import find_mix, mix_metrics
from zoo.models import create_model, get_entry
from zoo.predictors import load_predictor, make_predictor, save_model


def _batch(model, task: str):
    info = info_for(task)
    collator = collator_for(model, info, 32)
    return collator, collator(BY_TASK[task])


@pytest.mark.parametrize("task", ["sentiment", "ner"])
def test_only_the_mix_and_task_layers_train(task):
    torch.manual_seed(0)
    model = create_model("tiny_bert_frozen", info_for(task))
    model.pretrain(None)  # tiny: no checkpoint; switches the feature cache on
    _, batch = _batch(model, task)
    before = {k: v.clone() for k, v in model.encoder.bert.state_dict().items()}
    optimizer = torch.optim.Adam(p for p in model.parameters() if p.requires_grad)
    model.train()
    for _ in range(3):
        optimizer.zero_grad()
        model.loss(batch).backward()
        optimizer.step()
    for key, value in model.encoder.bert.state_dict().items():
        torch.testing.assert_close(value, before[key], msg=key)
    mix = find_mix(model)
    assert mix is not None and len(mix.scalar_parameters) == 3  # embeddings + 2 blocks
    assert any(p.grad is not None for p in mix.parameters())
    assert not model.encoder.bert.training  # no dropout in a frozen feature extractor


def test_features_are_computed_once_per_sentence_and_match_the_encoder():
    torch.manual_seed(0)
    model = create_model("tiny_bert_frozen", info_for("ner")).eval()
    _, batch = _batch(model, "ner")
    direct = model.encoder.word_layers(batch.pieces, batch.starts, batch.mask)
    model.pretrain(None)
    cache = model.encoder.feature_cache
    first = model.encoder.word_layers(batch.pieces, batch.starts, batch.mask)
    again = model.encoder.word_layers(batch.pieces, batch.starts, batch.mask)
    n = len(BY_TASK["ner"])
    assert (cache.misses, cache.hits) == (n, n)
    torch.testing.assert_close(first, direct)
    # Stored in float16: within its rounding of the float32 layers.
    torch.testing.assert_close(again, direct, atol=2e-3, rtol=2e-3)


def test_the_cache_tells_apart_sentences_with_the_same_pieces_and_other_words():
    model = create_model("tiny_bert_frozen", info_for("ner")).eval()
    model.pretrain(None)
    info = info_for("ner")
    collator = collator_for(model, info, 32)
    words = BY_TASK["ner"][0].tokens
    one = collator([BY_TASK["ner"][0]])
    joined = one.pieces.clone()  # same pieces, the first two words read as one
    starts = one.starts[:, 1:].clone()
    mask = one.mask[:, 1:].clone()
    a = model.encoder.word_layers(one.pieces, one.starts, one.mask)
    b = model.encoder.word_layers(joined, starts, mask)
    assert a.shape[2] == len(words) and b.shape[2] == len(words) - 1
    assert model.encoder.feature_cache.misses == 2


def test_a_model_loaded_to_serve_has_no_feature_cache(tmp_path):
    info = info_for("sentiment")
    model = create_model("tiny_bert_frozen", info)
    model.pretrain(None)
    model.eval()
    collator = collator_for(model, info, 32)
    save_model(tmp_path / "m", "tiny_bert_frozen", model, collator, info)
    predictor, loaded = load_predictor(tmp_path / "m")
    assert loaded.encoder.feature_cache is None  # latency is the whole encoder's
    examples = BY_TASK["sentiment"]
    assert predictor(examples) == make_predictor(model, collator)(examples)


def test_mix_metrics_are_weights_that_sum_to_one_and_a_depth_in_zero_one():
    model = create_model("tiny_bert_frozen", info_for("ner"))
    with torch.no_grad():
        for k, p in enumerate(find_mix(model).scalar_parameters):
            p.fill_(5.0 if k == 0 else 0.0)  # nearly all weight on the embeddings
    metrics = mix_metrics(find_mix(model))
    weights = [metrics[f"mix/layer_{k}"] for k in range(3)]
    assert sum(weights) == pytest.approx(1.0) and weights[0] > 0.9
    assert metrics["mix/layers"] == 3 and 0 <= metrics["mix/mean_layer"] < 0.1


def test_frozen_and_finetuned_twins_are_metadata():
    frozen, tuned = get_entry("minilm_frozen"), get_entry("minilm_l6")
    assert frozen.tags()["encoder_mode"] == "frozen"
    assert frozen.tags()["twin_finetuned"] == "minilm_l6"
    assert tuned.tags()["twin_frozen"] == "minilm_frozen"
    assert frozen.pretrained == tuned.pretrained == "all-MiniLM-L6-v2"
    assert get_entry("elmo_frozen_small").tags()["twin_finetuned"] == "elmo_finetune_small"


def test_features_are_shared_on_disk_by_the_cells_of_one_dataset(tmp_path):
    from zoo.encoders.feature_cache import FeatureCache

    torch.manual_seed(0)
    model = create_model("tiny_bert_frozen", info_for("ner")).eval()
    _, batch = _batch(model, "ner")
    path = tmp_path / "features" / "f.safetensors"
    model.encoder.enable_feature_cache(path)
    first = model.encoder.word_layers(batch.pieces, batch.starts, batch.mask)
    model.encoder.save_features()
    model.encoder.save_features()  # nothing new: the file stays as it is
    # Another cell (a new process would do the same): every sentence is read from the file.
    other = create_model("tiny_bert_frozen", info_for("ner")).eval()
    other.load_state_dict(model.state_dict())
    other.encoder.enable_feature_cache(path)
    again = other.encoder.word_layers(batch.pieces, batch.starts, batch.mask)
    cache = other.encoder.feature_cache
    assert (cache.hits, cache.misses) == (len(BY_TASK["ner"]), 0)
    torch.testing.assert_close(again, first, atol=2e-3, rtol=2e-3)
    assert not list(path.parent.glob(".*.tmp"))  # written atomically
    assert FeatureCache().load(tmp_path / "missing.safetensors") == 0


def test_serving_mixes_pieces_first_with_the_same_result():
    torch.manual_seed(0)
    model = create_model("tiny_bert_frozen", info_for("ner")).eval()
    _, batch = _batch(model, "ner")
    served = model.encoder.mixed(batch.pieces, batch.starts, batch.mask)  # no cache
    layers = model.encoder.word_layers(batch.pieces, batch.starts, batch.mask)
    torch.testing.assert_close(served, model.encoder.mix(list(layers)))


def test_training_leaves_every_training_sentence_in_the_shared_file(tmp_path):
    """Restoring the best epoch loads the same encoder weights: the cache survives it, so the
    cell shares all its training sentences (it once cleared them: every cell recomputed its
    own), then stops caching, and dev and test are read through the whole encoder."""
    from zoo.configs import TrainConfig
    from zoo.encoders.feature_cache import FeatureCache
    from zoo.train import train_model

    torch.manual_seed(0)
    model = create_model("tiny_bert_frozen", info_for("ner"))
    collator, _ = _batch(model, "ner")
    path = tmp_path / "features" / "f.safetensors"
    model.encoder.enable_feature_cache(path)
    scores = iter([0.5, 0.6, 0.4])  # the best epoch (2) is restored at the end
    train_model(model, collator, BY_TASK["ner"], TrainConfig(epochs=3, batch_size=4), seed=0,
                dev_score=lambda m: next(scores))
    assert len(model.encoder.feature_cache) == len(BY_TASK["ner"])
    model.finish_training()
    assert model.encoder.feature_cache is None  # dev and test: the whole encoder, as served
    assert FeatureCache().load(path) == len(BY_TASK["ner"])


def test_new_encoder_weights_clear_the_cache():
    torch.manual_seed(0)
    model = create_model("tiny_bert_frozen", info_for("ner")).eval()
    _, batch = _batch(model, "ner")
    model.pretrain(None)
    model.encoder.word_layers(batch.pieces, batch.starts, batch.mask)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert len(model.encoder.feature_cache) == len(BY_TASK["ner"])  # same weights: kept
    some = next(k for k in state if ".bert." in f".{k}")
    state[some] = state[some] + 1.0
    model.load_state_dict(state)
    assert len(model.encoder.feature_cache) == 0


def test_a_cell_reads_dev_from_the_cache_and_test_through_the_whole_encoder(tmp_path,
                                                                           monkeypatch):
    """Dev scores the selected epoch from the rows that selected it; test runs the encoder
    in float32, as a served model does."""
    from types import SimpleNamespace

    import zoo.cells as cells
    from zoo.device import ENV

    monkeypatch.setenv(ENV, "cpu")
    reads: list[bool] = []  # per read: was the feature cache on?
    real_make = cells.make_predictor

    def spying_make(model, collator):
        predict = real_make(model, collator)

        def spy(examples):
            reads.append(model.encoder.feature_cache is not None)
            return predict(examples)
        return spy

    monkeypatch.setattr(cells, "make_predictor", spying_make)
    examples = tuple(BY_TASK["sentiment"])
    data = SimpleNamespace(splits={"train": examples, "dev": examples, "test": examples},
                           labels=("neg", "pos"), fingerprint="f" * 64)
    cells.train_cell(cells.CellSpec("sentiment", "toy", "tiny_bert_frozen", 1.0, 0,
                                    overrides=(("epochs", 2),)), data, tmp_path / "models")
    assert reads[-2:] == [True, False]  # the final dev read, then test
