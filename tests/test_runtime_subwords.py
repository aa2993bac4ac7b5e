"""ONNX Runtime twins of subword models (tiny_bert here, minilm_l6 in the benchmark): the graph
reads (pieces, starts, mask), matches eager torch, and is served with the saved tokenizer."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.toy_data import BY_TASK, info_for
from zoo.batching import collator_for
from zoo.data.types import Example
from zoo.models import create_model, get_entry
from zoo.predictors import TOKENIZER, load_predictor, make_predictor, save_model
from zoo.runtime import onnx as rt
from zoo.train import seed_everything

TWINS = ("tiny_bert_ort", "tiny_bert_ort_q8", "minilm_l6_ort", "minilm_l6_ort_q8")
# Unseen words spelled with letter pieces (many pieces per word) beside one-piece words, so
# the piece axis is longer and more ragged than the word axis.
SPELLED = {"sentiment": Example(("funfilm", "a", "greatacting"), label="pos"),
           "ner": Example(("parisyork", "in", "johnmary"), tags=("B-location", "O", "B-person"))}


def _build(name: str, task: str, seed: int = 0):
    seed_everything(seed)
    info = info_for(task)
    model = create_model(name, info).eval()
    return model, collator_for(model, info, 16), info


def _examples(task: str) -> list[Example]:
    return [*BY_TASK[task], SPELLED[task]]


def _real(scores: np.ndarray, mask: torch.Tensor, task: str) -> np.ndarray:
    return scores[mask.numpy()] if task == "ner" else scores  # tagger padding is unspecified


def test_twins_carry_their_base_metadata():
    for name in TWINS:
        entry, base = get_entry(name), get_entry(get_entry(name).base)
        assert entry.runtime == ("onnx_q8" if name.endswith("_q8") else "onnx")
        assert (entry.family, entry.tasks, entry.builder, entry.size, entry.crf,
                entry.pretrained, entry.encoder_mode) == (
            base.family, base.tasks, base.builder, base.size, base.crf,
            base.pretrained, base.encoder_mode)
        assert (dict(entry.train_defaults), dict(entry.task_defaults)) == (
            dict(base.train_defaults), dict(base.task_defaults))
    assert get_entry("minilm_l6_ort_q8").pretrained == get_entry("minilm_l6").pretrained != ""


@pytest.mark.parametrize("task", ["sentiment", "ner"])
def test_check_batches_are_laid_out_like_wordpieces(task):
    _, collator, _ = _build("tiny_bert", task)
    batches = rt._check_batches(collator)
    assert any(mask.shape[0] == 1 for _, _, mask in batches)  # batch 1 is checked
    for pieces, starts, mask in batches:
        lengths = (pieces != 0).sum(1)  # (B,) [CLS] .. [SEP], then padding only
        assert bool((pieces[torch.arange(pieces.shape[1]) >= lengths[:, None]] == 0).all())
        assert bool((starts[~mask] == 0).all())  # padding words read [CLS], masked out
        for row, n_words, n_pieces in zip(starts, mask.sum(1), lengths):
            first = row[:n_words]
            assert first[0] == 1 and bool((first.diff() >= 1).all())
            assert int(first[-1]) <= int(n_pieces) - 2  # [SEP] is nobody's first piece
    assert max(p.shape[1] for p, _, m in batches) > max(m.shape[1] for _, _, m in batches)


@pytest.mark.parametrize("task", ["sentiment", "ner"])
def test_float_graph_reads_pieces_and_matches_eager(task, tmp_path):
    model, collator, _ = _build("tiny_bert", task)
    path = rt.export_onnx(model, collator, tmp_path, "onnx")
    check = json.loads((tmp_path / rt.CHECK_FILE).read_text())
    assert check["float"]["max_abs_diff"] <= check["float"]["tolerance"] <= 1e-3
    assert [1, 1] in check["check_batches"] and check["float"]["argmax_agreement"] == 1.0
    session = rt._session(path)
    assert [i.name for i in session.get_inputs()] == ["pieces", "starts", "mask"]
    examples = _examples(task)
    batch = collator(examples, with_gold=False)
    assert batch.mask.sum(1).min() < batch.mask.shape[1], "toy batch must pad words"
    assert batch.pieces.shape[1] > batch.mask.shape[1] + 2, "some word must have pieces"
    full = rt._run(session, rt._inputs(batch))
    with torch.inference_mode():
        eager = rt._Scores(model)(*rt._inputs(batch)).numpy()
    tolerance = rt.ATOL + rt.RTOL * float(np.abs(eager).max())
    np.testing.assert_allclose(_real(full, batch.mask, task), _real(eager, batch.mask, task),
                               rtol=0, atol=tolerance)
    for i, ex in enumerate(examples):  # batch 1: each sentence gives what it gives padded
        alone = collator([ex], with_gold=False)
        single = rt._run(session, rt._inputs(alone))[0]
        n = alone.mask.shape[1]
        np.testing.assert_allclose(single, full[i, :n] if task == "ner" else full[i],
                                   rtol=0, atol=tolerance)


@pytest.mark.parametrize("task", ["sentiment", "ner"])
@pytest.mark.parametrize("name", ["tiny_bert_ort", "tiny_bert_ort_q8"])
def test_saved_twin_predicts_like_eager_with_its_own_tokenizer(name, task, tmp_path,
                                                               monkeypatch):
    model, collator, info = _build(name, task, seed=3)
    examples = _examples(task)
    eager = make_predictor(model, collator)(examples)
    save_model(tmp_path, name, model, collator, info)
    assert (tmp_path / TOKENIZER).is_file()

    def no_tokenizer(*args, **kwargs):
        raise AssertionError("the ORT predictor must read the saved tokenizer.json")

    # Neither the builder's tokenizer nor a checkpoint may be used when loading.
    monkeypatch.setattr("zoo.families.pretrained_transformer.tokenizer_for_vocab", no_tokenizer)
    monkeypatch.setattr("zoo.families.pretrained_transformer.fetch_checkpoint", no_tokenizer)
    predictor, _ = load_predictor(tmp_path)
    assert isinstance(predictor, rt.OrtPredictor)
    got = predictor(examples)
    check = json.loads((tmp_path / rt.CHECK_FILE).read_text())
    if name.endswith("_q8"):
        # int8 moves the scores a little; the file is smaller and the labels are valid.
        assert check["q8"]["max_abs_diff"] < 0.1 and check["q8"]["argmax_agreement"] >= 0.9
        assert check["q8"]["bytes"] < check["float"]["bytes"]
        flat = [p for seq in got for p in (seq if task == "ner" else [seq])]
        assert set(flat) <= set(info.labels)
    else:
        assert got == eager
    if task == "ner":
        assert [len(p) for p in got] == [len(ex.tokens) for ex in examples]


def test_export_of_a_model_with_dropout_leaves_it_in_eval_mode(tmp_path):
    """minilm_l6 trains with dropout 0.1: the export and its check must both run it in eval."""
    model, collator, _ = _build("tiny_bert", "sentiment")
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.5
    for block in model.encoder.layers:
        block.attn_dropout = 0.5
    model.train()
    rt.export_onnx(model, collator, tmp_path, "onnx")
    check = json.loads((tmp_path / rt.CHECK_FILE).read_text())
    assert check["float"]["max_abs_diff"] <= check["float"]["tolerance"]
    assert model.training  # given back as it came
