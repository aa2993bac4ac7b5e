"""Device placement (issue 5): ZOO_DEVICE, batches following the model, CPU-only files.

Everything but the last tests runs on any machine; the CUDA tests run where torch sees a GPU
(`python benchmarks/gpu_smoke.py` is the quicker check that needs no test dependencies).
"""
from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
import torch

from tests.toy_data import BY_TASK, gold, info_for
from zoo.batching import Batch, Collator, collator_for
from zoo.cells import CellSpec, train_cell
from zoo.configs import TrainConfig
from zoo.corpus import PretrainContext
from zoo.device import ENV, module_device, pick_device
from zoo.errors import ConfigError
from zoo.measure import _cuda_device, device_name
from zoo.models import create_model
from zoo.predictors import load_predictor, make_predictor, save_model
from zoo.train import seed_everything, train_model

CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="needs a CUDA device")


def _round_trip(name: str, task: str, device: torch.device, folder, epochs: int) -> None:
    """The whole device path: place the model, train (batches follow it), predict, save
    (CPU tensors), load back onto ZOO_DEVICE (the caller sets it to `device`)."""
    seed_everything(0)
    info = info_for(task)
    model = create_model(name, info).to(device)
    collator = collator_for(model, info, 16)
    examples = BY_TASK[task]
    cfg = TrainConfig(epochs=epochs, batch_size=len(examples), lr=0.02, patience=epochs)
    predictor = make_predictor(model, collator)
    result = train_model(model, collator, examples, cfg, seed=0,
                         dev_score=lambda m: float(predictor(examples) == gold(examples, task)))
    assert result.epochs[-1].train_loss < result.epochs[0].train_loss
    assert module_device(model) == device and predictor.device == device
    predictions = predictor(examples)
    assert predictions == gold(examples, task), f"{name} did not fit on {device}"
    save_model(folder, name, model, collator, info)
    state = torch.load(folder / "model.pt", weights_only=True)
    assert all(t.device.type == "cpu" for t in state.values())  # loads on CPU-only machines
    reloaded, reloaded_model = load_predictor(folder)
    assert module_device(reloaded_model) == device
    assert reloaded(examples) == predictions


# ---------------------------------------------------------------- choosing the device


def test_zoo_device_cpu(monkeypatch):
    monkeypatch.setenv(ENV, "cpu")
    assert pick_device() == torch.device("cpu")
    assert device_name() == "cpu"


def test_auto_is_cuda_when_present_else_cpu(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    expected = "cuda" if CUDA else "cpu"
    assert pick_device().type == expected
    monkeypatch.setenv(ENV, "auto")
    assert pick_device().type == expected


@pytest.mark.parametrize("wanted", ["cuda", "cuda:0", "cuda:1"])
def test_cuda_without_cuda_is_a_one_line_config_error(monkeypatch, wanted):
    monkeypatch.setenv(ENV, wanted)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError) as err:
        pick_device()
    message = str(err.value)
    assert ENV in message and f"{ENV}=cpu" in message and "\n" not in message


def test_unknown_device_is_a_config_error(monkeypatch):
    for wanted in ("gpu", "mps", "cuda:x"):
        monkeypatch.setenv(ENV, wanted)
        with pytest.raises(ConfigError, match=ENV):
            pick_device()


def test_module_device():
    assert module_device(torch.nn.Linear(2, 2)) == torch.device("cpu")
    assert module_device(torch.nn.Identity()) == torch.device("cpu")  # no parameters at all
    assert module_device(torch.nn.Linear(2, 2, device="meta")).type == "meta"


# ---------------------------------------------------------------- batches follow the model


@pytest.mark.parametrize("task", ["sentiment", "ner", "translation"])
def test_batch_to_moves_every_tensor_and_is_free_when_already_there(task):
    info = info_for(task)
    batch = Collator(task, info.vocab, info.labels, info.target_vocab)(BY_TASK[task])
    assert batch.to("cpu") is batch and batch.to(torch.device("cpu")) is batch
    # The meta device stands in for a GPU here: same call, no real memory.
    moved = batch.to("meta")
    for field in dataclasses.fields(Batch):
        before, after = getattr(batch, field.name), getattr(moved, field.name)
        if before is None:
            assert after is None
        else:
            assert after.device.type == "meta" and after.shape == before.shape
            assert after.dtype == before.dtype
    assert moved.to("meta") is moved


def test_cpu_predictor_needs_no_cuda_synchronising():
    info = info_for("sentiment")
    model = create_model("tiny_lstm", info).to(torch.device("cpu"))
    predictor = make_predictor(model, Collator("sentiment", info.vocab, info.labels))
    assert predictor.device == torch.device("cpu")
    assert _cuda_device(predictor) is None and _cuda_device(lambda examples: []) is None


def test_explicit_cpu_train_predict_save_load_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "cpu")
    _round_trip("tiny_bilstm_crf", "ner", torch.device("cpu"), tmp_path / "m", epochs=60)


def test_train_cell_places_the_model_and_records_the_device(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "cpu")
    examples = tuple(BY_TASK["sentiment"])
    data = SimpleNamespace(splits={"train": examples, "dev": examples, "test": examples},
                           labels=("neg", "pos"), fingerprint="d" * 64)
    spec = CellSpec("sentiment", "toy", "tiny_lstm", 1.0, 0, overrides=(("epochs", 2),))
    cell = train_cell(spec, data, tmp_path / "models")
    assert cell.device == "cpu"
    predictor, model = load_predictor(tmp_path / "models" / cell.key)
    assert module_device(model).type == "cpu" and len(predictor(list(examples))) == 6


# ---------------------------------------------------------------- on a GPU (skipped here)


@needs_cuda
@pytest.mark.parametrize("name,task", [
    ("tiny_lstm", "sentiment"),
    ("tiny_bilstm_crf", "ner"),  # CRF loss and Viterbi on the GPU
    ("tiny_seq2seq_lstm", "translation"),  # greedy search
    ("tiny_seq2seq_transformer", "translation"),  # causal mask, beam search, kv-cache
])
def test_trains_and_predicts_on_cuda(name, task, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "cuda")
    device = pick_device()
    assert device.type == "cuda" and device_name().startswith("cuda:")
    _round_trip(name, task, device, tmp_path / "m", epochs=150)


@needs_cuda
def test_onnx_twin_of_a_cuda_model_exports_from_the_cpu(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "cuda")
    seed_everything(0)
    info = info_for("ner")
    model = create_model("tiny_bilstm_crf", info).to(pick_device()).eval()
    collator = collator_for(model, info, 16)
    save_model(tmp_path / "m", "tiny_bilstm_crf_ort", model, collator, info)
    assert module_device(model).type == "cuda"  # exported from a copy; the model stays put
    predictor, twin = load_predictor(tmp_path / "m")
    assert module_device(twin).type == "cpu"
    assert len(predictor(BY_TASK["ner"])) == len(BY_TASK["ner"])


@needs_cuda
def test_elmo_pretrains_and_trains_on_cuda(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "cuda")
    seed_everything(0)
    info = info_for("ner")
    model = create_model("tiny_elmo_finetune", info).to(pick_device())
    sentences = tuple(ex.tokens for ex in BY_TASK["ner"]) * 10
    metrics, _ = model.pretrain(PretrainContext(sentences, tmp_path / "pre", "e" * 64, 0))
    assert metrics["pretrain/cache_hit"] == 0.0
    assert module_device(model).type == "cuda"
    collator = collator_for(model, info, 16)
    examples = BY_TASK["ner"]
    cfg = TrainConfig(epochs=3, batch_size=len(examples), lr=0.01)
    train_model(model, collator, examples, cfg, seed=0, dev_score=lambda m: 0.0)
    assert len(make_predictor(model, collator)(examples)) == len(examples)


def test_a_gpu_cell_never_reuses_a_cpu_result(monkeypatch):
    import zoo.cells

    spec = CellSpec("sentiment", "mr", "tiny_lstm", 0.1, 1, "quick")
    on_cpu = zoo.cells.resolve_cell(spec, "f" * 64, code_version="v1").key
    monkeypatch.setattr(zoo.cells, "pick_device", lambda: torch.device("cuda", 0))
    on_gpu = zoo.cells.resolve_cell(spec, "f" * 64, code_version="v1").key
    assert on_cpu != on_gpu


def test_mixed_precision_is_a_no_op_on_a_cpu_without_native_bfloat16(monkeypatch):
    """cfg.amp asks for bfloat16 autocast, which a CPU without native bfloat16 dot products
    does not get (it would emulate them, slower): training is bit-identical with and without
    it, and the result says it was off. (CPUs with AVX512-BF16 / AMX: the test below.)"""
    from zoo import train as train_module

    monkeypatch.setattr(train_module, "bf16_autocast_ok", lambda device: device.type == "cuda")
    results = []
    for amp in (False, True):
        seed_everything(0)
        info = info_for("sentiment")
        model = create_model("tiny_lstm", info)
        collator = Collator("sentiment", info.vocab, info.labels)
        cfg = TrainConfig(epochs=2, batch_size=4, amp=amp)
        result = train_model(model, collator, BY_TASK["sentiment"], cfg, seed=0,
                             dev_score=lambda m: 0.0)
        assert result.amp is False
        results.append({k: v.clone() for k, v in model.state_dict().items()})
    assert all(torch.equal(results[0][k], results[1][k]) for k in results[0])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_mixed_precision_trains_on_cuda():
    seed_everything(0)
    info = info_for("ner")
    model = create_model("tiny_bilstm_crf", info).to(torch.device("cuda", 0))
    collator = Collator("ner", info.vocab, info.labels)
    cfg = TrainConfig(epochs=3, batch_size=4, amp=True)
    result = train_model(model, collator, BY_TASK["ner"], cfg, seed=0, dev_score=lambda m: 0.0)
    assert result.amp is True and all(e.train_loss == e.train_loss for e in result.epochs)



def test_dev_limit_selects_and_reports_on_the_same_dev_subset(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "cpu")
    examples = tuple(BY_TASK["sentiment"])
    data = SimpleNamespace(splits={"train": examples, "dev": examples, "test": examples},
                           labels=("neg", "pos"), fingerprint="d" * 64)
    spec = CellSpec("sentiment", "toy", "tiny_lstm", 1.0, 0,
                    overrides=(("dev_limit", 2), ("epochs", 2)))
    import zoo.cells

    seen = []  # how many examples each evaluation scored
    real_evaluate = zoo.cells.evaluate

    def recording_evaluate(task, gold, predictions, ci=True):
        seen.append(len(gold))
        return real_evaluate(task, gold, predictions, ci)

    monkeypatch.setattr(zoo.cells, "evaluate", recording_evaluate)
    cell = train_cell(spec, data, tmp_path / "models")
    # every per-epoch selection and the final dev read use 2; the one test read uses all
    assert seen == [2] * (len(seen) - 1) + [len(examples)] and len(seen) >= 3
    assert cell.extra_metrics["dev/examples"] == 2.0
    assert cell.extra_metrics["test/examples"] == float(len(examples))


def test_amp_on_the_cpu_only_where_bfloat16_is_native(monkeypatch):
    """`amp=true` trains under bfloat16 autocast where the CPU has native bfloat16 dot
    products (AVX512-BF16 / AMX) and is ignored elsewhere; the model fits either way."""
    from zoo import train as train_module

    for native in (True, False):
        monkeypatch.setattr(train_module, "bf16_autocast_ok", lambda device, n=native: n)
        info = info_for("sentiment")
        torch.manual_seed(0)
        model = create_model("tiny_cnn", info)
        collator = collator_for(model, info, 32)
        examples = BY_TASK["sentiment"]
        cfg = TrainConfig(epochs=30, batch_size=len(examples), lr=0.02, patience=30, amp=True)
        predictor = make_predictor(model, collator)
        result = train_model(model, collator, examples, cfg, seed=0,
                             dev_score=lambda m: float(predictor(examples) == gold(examples,
                                                                                   "sentiment")))
        assert result.amp is native
        assert predictor(examples) == gold(examples, "sentiment")
