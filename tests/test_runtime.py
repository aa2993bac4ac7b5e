"""Runtime variants (ONNX Runtime float / int8): export, verification, loading, decoding."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.toy_data import BY_TASK, info_for
from zoo.batching import collator_for
from zoo.predictors import load_predictor, make_predictor, save_model
from zoo.models import create_model, get_entry, list_models
from zoo.runtime import onnx as rt
from zoo.train import seed_everything

TINY_RT = [(name, task) for name in list_models("tiny_*_ort,tiny_*_ort_q8")
           for task in get_entry(name).tasks]
# Float exports of every encoder the real-time variants use (2-layer BiLSTM and CNN included).
EXPORTED = [("tiny_lstm", "sentiment"), ("tiny_lstm", "ner"), ("tiny_bilstm", "sentiment"),
            ("tiny_bilstm_crf", "ner"), ("tiny_cnn", "sentiment"), ("tiny_cnn", "ner")]


def _build(name: str, task: str, seed: int = 0):
    seed_everything(seed)
    info = info_for(task)
    model = create_model(name, info).eval()
    return model, collator_for(model, info, 16), info


def _check(folder):
    return json.loads((folder / rt.CHECK_FILE).read_text())


def test_tiny_twins_are_registered_like_their_base():
    assert {n for n, _ in TINY_RT} == {"tiny_lstm_ort", "tiny_lstm_ort_q8",
                                       "tiny_bilstm_crf_ort", "tiny_bilstm_crf_ort_q8",
                                       "tiny_bert_ort", "tiny_bert_ort_q8"}
    for name in list_models("*_ort,*_ort_q8"):
        entry = get_entry(name)
        base = get_entry(entry.base)
        assert entry.runtime == ("onnx_q8" if name.endswith("_q8") else "onnx")
        assert (entry.family, entry.tasks, entry.builder) == (base.family, base.tasks,
                                                              base.builder)
        assert dict(entry.train_defaults) == dict(base.train_defaults)


@pytest.mark.parametrize("name,task", TINY_RT)
def test_save_load_round_trip_matches_eager(name, task, tmp_path):
    model, collator, info = _build(name, task)
    examples = BY_TASK[task]
    eager = make_predictor(model, collator)(examples)
    used = save_model(tmp_path / "m", name, model, collator, info)
    runtime = get_entry(name).runtime
    assert used == rt.runtime_file(tmp_path / "m", runtime) and used.is_file()
    predictor, _ = load_predictor(tmp_path / "m")
    assert isinstance(predictor, rt.OrtPredictor)
    got = predictor(examples)
    assert len(got) == len(eager)
    if task == "ner":
        assert [len(p) for p in got] == [len(ex.tokens) for ex in examples]
    check = _check(tmp_path / "m")
    assert check["float"]["max_abs_diff"] <= check["float"]["tolerance"] <= 1e-3
    if runtime == "onnx":
        assert got == eager
    else:
        # Quantized outputs may move; they stay close and the file is smaller.
        assert check["q8"]["max_abs_diff"] < 0.1
        assert check["q8"]["bytes"] < check["float"]["bytes"]
        assert {p for seq in got for p in (seq if task == "ner" else [seq])} \
            <= set(info.labels)


@pytest.mark.parametrize("name,task", EXPORTED)
def test_float_export_is_padding_invariant(name, task, tmp_path):
    model, collator, _ = _build(name, task)
    path = rt.export_onnx(model, collator, tmp_path, "onnx")
    assert _check(tmp_path)["float"]["max_abs_diff"] < 1e-4
    session = rt._session(path)
    examples = BY_TASK[task]
    batch = collator(examples, with_gold=False)
    assert batch.mask.sum(1).min() < batch.ids.shape[1], "toy batch must contain padding"
    full = rt._run(session, rt._inputs(batch))
    with torch.inference_mode():
        eager = model(*rt._inputs(batch)).numpy()
    m = batch.mask.numpy()
    if task == "ner":
        np.testing.assert_allclose(full[m], eager[m], atol=1e-5)
    else:
        np.testing.assert_allclose(full, eager, atol=1e-5)
    # Each sentence alone gives what it gives inside the padded batch.
    for i, ex in enumerate(examples):
        alone = collator([ex], with_gold=False)
        single = rt._run(session, rt._inputs(alone))[0]
        n = alone.ids.shape[1]
        np.testing.assert_allclose(single, full[i, :n] if task == "ner" else full[i], atol=1e-5)
    # Whatever sits in padding positions changes nothing.
    noisy = rt._run(session, (batch.ids.masked_fill(~batch.mask, 3), *rt._inputs(batch)[1:]))
    np.testing.assert_allclose(noisy[m] if task == "ner" else noisy,
                               full[m] if task == "ner" else full, atol=1e-6)


def test_crf_twin_decodes_valid_bio(tmp_path):
    model, collator, info = _build("tiny_bilstm_crf_ort", "ner", seed=5)
    with torch.no_grad():  # make the emissions favour invalid I- tags everywhere
        bias = model.head.out.bias
        bias.zero_()
        for k, tag in enumerate(info.labels):
            if tag.startswith("I-"):
                bias[k] = 5.0
    save_model(tmp_path / "m", "tiny_bilstm_crf_ort", model, collator, info)
    predictor, _ = load_predictor(tmp_path / "m")
    predictions = predictor(BY_TASK["ner"])
    assert predictions == make_predictor(model, collator)(BY_TASK["ner"])
    for tags in predictions:
        for prev, tag in zip(("O",) + tags, tags):
            if tag.startswith("I-"):
                assert prev != "O" and prev[2:] == tag[2:], f"invalid BIO {tags}"


def test_export_fails_loudly_beyond_tolerance(tmp_path, monkeypatch):
    model, collator, _ = _build("tiny_lstm", "sentiment")
    monkeypatch.setattr(rt, "ATOL", -1.0)  # no difference can pass
    with pytest.raises(rt.OnnxExportError, match="differs from eager"):
        rt.export_onnx(model, collator, tmp_path, "onnx")
    assert _check(tmp_path)["float"]["max_abs_diff"] >= 0.0


def test_missing_export_is_a_clear_error(tmp_path):
    model, collator, _ = _build("tiny_lstm", "sentiment")
    with pytest.raises(rt.OnnxExportError, match="missing"):
        rt.load_ort_predictor(tmp_path, model, collator, "onnx_q8")


def test_concurrent_exports_in_one_process(tmp_path):
    """The benchmark flow trains cells in a thread pool: exports must not collide."""
    from concurrent.futures import ThreadPoolExecutor

    def export(i: int) -> float:
        name, task = EXPORTED[i % len(EXPORTED)]
        model, collator, info = _build(name, task, seed=i)
        rt.export_onnx(model, collator, tmp_path / f"m{i}", "onnx")
        return _check(tmp_path / f"m{i}")["float"]["max_abs_diff"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        diffs = list(pool.map(export, range(8)))
    assert len(diffs) == 8 and max(diffs) <= 1e-3
