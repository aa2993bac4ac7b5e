"""Predictors turn raw examples into task predictions, for neural and classical models alike.

A trained model is saved as a folder: `meta.json` (model name, task, vocabularies, labels)
plus `model.pt` (a torch state dict, loaded with weights_only=True) or `model.skops`.
Loading rebuilds the architecture from the registry; nothing in the folder is executed.

Devices: `model.pt` always holds CPU tensors, so a model trained on a GPU loads on any
machine. `load_predictor` puts a torch-runtime model on `pick_device()` (ZOO_DEVICE); ONNX
Runtime twins stay on the CPU, where ONNX Runtime runs them. A NeuralPredictor moves each
batch to its model's device and returns plain Python lists.
"""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import torch

from zoo.batching import Collator, collator_for, predict_in_batches
from zoo.data.types import Example
from zoo.data.vocab import Vocab
from zoo.device import module_device, pick_device
from zoo.model_changes import add_batch_norm
from zoo.models import DataInfo, create_model, get_entry

# A subword model's tokenizer (zoo.encoders.wordpieces), saved beside its weights.
TOKENIZER = "tokenizer.json"


class NeuralPredictor:
    def __init__(self, model: torch.nn.Module, collator: Collator):
        self.model = model.eval()
        self.collator = collator

    @property
    def device(self) -> torch.device:
        """Where the model is now (looked up per call: the model may move after this
        predictor was made, e.g. the training loop's dev scoring)."""
        return module_device(self.model)

    def __call__(self, examples: Sequence[Example]) -> list:
        return predict_in_batches(self._predict_batch, examples)

    def _predict_batch(self, examples: Sequence[Example]) -> list:
        batch = self.collator(examples, with_gold=False).to(self.device)
        with torch.inference_mode():
            outputs = self.model.predict(batch)  # lists of ints, already on the host
        return self.collator.decode(outputs, examples)


class ClassicalPredictor:
    def __init__(self, model):
        self.model = model

    def __call__(self, examples: Sequence[Example]) -> list:
        return self.model.predict(examples)


def make_predictor(model, collator: Collator | None):
    return ClassicalPredictor(model) if collator is None else NeuralPredictor(model, collator)


def save_model(folder: Path, model_name: str, model, collator: Collator | None,
               info: DataInfo, batch_norm: bool = False) -> Path:
    """Write the model folder; returns the file inference uses (its size is the model size).

    Runtime variants (ONNX Runtime float / int8) also get their exported graph here.
    """
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "model": model_name,
        "task": info.task,
        "vocab": info.vocab.to_json(),
        "labels": list(info.labels),
        "target_vocab": info.target_vocab.to_json() if info.target_vocab else None,
        "max_len": collator.max_len if collator else None,
        # A recipe variant that adds layers (zoo.model_changes): rebuilt before the weights load.
        "batch_norm": batch_norm,
    }
    (folder / "meta.json").write_text(json.dumps(meta))
    if collator is None:
        weights = folder / "model.skops"
        model.save(weights)
    else:
        if collator.subwords is not None:
            collator.subwords.save(folder / TOKENIZER)
        weights = folder / "model.pt"
        state = model.state_dict()
        for key, value in state.items():
            # CPU tensors, so the file loads on a machine without the GPU it was trained on.
            # In place in the state dict, which keeps its metadata; a no-op for CPU tensors.
            state[key] = value.cpu()
        torch.save(state, weights)
        runtime = get_entry(model_name).runtime
        if runtime != "torch":
            from zoo.runtime.onnx import export_onnx

            weights = export_onnx(model, collator, folder, runtime)
    return weights


def load_predictor(folder: Path):
    """Rebuild a saved model from the registry and its weights; returns (predictor, model)."""
    meta = json.loads((folder / "meta.json").read_text())
    info = DataInfo(
        task=meta["task"],
        vocab=Vocab.from_json(meta["vocab"]),
        labels=tuple(meta["labels"]),
        target_vocab=Vocab.from_json(meta["target_vocab"]) if meta["target_vocab"] else None,
    )
    model = create_model(meta["model"], info)
    if meta.get("batch_norm"):
        add_batch_norm(model)
    if get_entry(meta["model"]).kind == "classical":
        model.load(folder / "model.skops")
        return ClassicalPredictor(model), model
    subwords = getattr(model, "subwords", None)
    if subwords is not None and (folder / TOKENIZER).is_file():
        subwords.load_from(folder / TOKENIZER)  # the saved model's own, no checkpoint fetch
    state = torch.load(folder / "model.pt", weights_only=True, map_location="cpu")
    model.load_state_dict(state)
    model.eval()
    collator = collator_for(model, info, meta["max_len"])
    runtime = get_entry(meta["model"]).runtime
    if runtime == "torch":
        model.to(pick_device())  # ONNX Runtime twins stay on the CPU, where ORT runs them
    else:
        from zoo.runtime.onnx import load_ort_predictor

        return load_ort_predictor(folder, model, collator, runtime,
                                  threads=torch.get_num_threads()), model
    return NeuralPredictor(model, collator), model


TRAINING_FILE = "training.json"  # stop reason of the weights in a model folder


def write_training_record(model_dir: Path, record: dict) -> None:
    """Atomic write (tmp file + os.replace): a twin reading it never sees half a file."""
    tmp = model_dir / f".{TRAINING_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(record, sort_keys=True))
    os.replace(tmp, model_dir / TRAINING_FILE)


def read_training_record(model_dir: Path) -> dict:
    """The base model's record; "unknown" when it has none (trained before this existed)."""
    try:
        return json.loads((model_dir / TRAINING_FILE).read_text())
    except (OSError, ValueError):
        return {"stop_reason": "unknown", "converged": False, "best_epoch": 0,
                "epochs_run": 0, "still_improving": False}
