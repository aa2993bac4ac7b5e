"""The model catalog: what each registered model is (pure data and lookup, no model code).

Each variant is a small function with literal sizes (timm style), registered here by one
`register_model` decorator in its family file, with its metadata (family, size, direction,
CRF, runtime, float twin, tasks, textbook twins). This module imports no family: the front
door is `zoo.models`, whose import registers every family and re-exports the lookups below.
Called before that import (a script that imports one family file), they see only what has
been registered so far. What a listing or a profile reads is repeated, as literal data that
imports no torch, in zoo.model_index (tests/test_model_index.py keeps the two equal). (Not
to be confused with the registration step (`zoo register`), which registers trained models in
MLflow's model registry.)
"""
from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from zoo.data.types import TASKS
from zoo.data.vocab import Vocab
from zoo.errors import ConfigError

SIZES = ("tiny", "small", "base")  # tiny: test-sized, never in a benchmark profile
RUNTIMES = ("torch", "onnx", "onnx_q8")
ENCODER_MODES = ("", "frozen", "finetuned")


@dataclass(frozen=True)
class DataInfo:
    """What a builder needs to know about the data: built from the training subset only."""

    task: str
    vocab: Vocab  # source / input tokens
    labels: tuple[str, ...] = ()  # class labels (sentiment) or BIO tags (ner)
    target_vocab: Vocab | None = None  # translation targets


@dataclass(frozen=True)
class Twins:
    """The registered models that differ from this one in one property only: what the
    report's textbook claims compare (BiLSTM vs LSTM, CRF vs softmax, base vs small)."""

    unidirectional: str | None = None  # same model reading one direction only
    no_crf: str | None = None  # same encoder with a softmax output layer
    small: str | None = None  # the small size of a base model
    # The same pretrained encoder used the other way: kept frozen under a learned layer mix
    # (the ELMo recipe) or fine-tuned whole with the task (Devlin et al. 2019).
    frozen: str | None = None
    finetuned: str | None = None

    def tags(self) -> dict[str, str]:
        return {f"twin_{k}": v for k, v in vars(self).items() if v}


@dataclass(frozen=True)
class ModelEntry:
    name: str
    family: str
    tasks: tuple[str, ...]
    kind: str  # "neural" (torch module trained by zoo.train) or "classical" (fit/predict)
    builder: Callable[[DataInfo], Any]
    description: str
    # The model's training recipe: TrainConfig overrides for every task, then per task
    # (e.g. {"ner": {"lr": 3e-3}}); each family file says where its recipe comes from.
    train_defaults: Mapping[str, object] = field(default_factory=dict)
    # Inference runtime: "torch" (eager), "onnx" (ONNX Runtime, float) or "onnx_q8" (ONNX
    # Runtime, int8 dynamic quantization). Non-torch variants train exactly like their float
    # twin `base` and differ only in how the trained model is run.
    runtime: str = "torch"
    base: str | None = None
    # A trivial floor of its task (majority class, all-O, copy-source): measured in every run,
    # the score every other model of the task must beat significantly.
    floor: bool = False
    task_defaults: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    size: str | None = None  # tiny | small | base; None for classical models
    # A recurrent encoder read in both directions (BiLSTM, the ELMo biLM): True; one
    # direction: False; None where it does not apply (CNN, Transformer, classical).
    bidirectional: bool | None = None
    crf: bool = False  # tags with a CRF output layer (on NER)
    twins: Twins = field(default_factory=Twins)
    # The checkpoint a model starts from when it was pretrained on text outside the
    # benchmark (e.g. "all-MiniLM-L6-v2"); "" when it learns from the benchmark's data only.
    pretrained: str = ""
    # How a pretrained encoder (a checkpoint, or the ELMo biLM) is used: "frozen" (a fixed
    # feature extractor under a learned scalar mix of its layers) or "finetuned" (trained
    # with the task); "" for models without a pretrained encoder.
    encoder_mode: str = ""

    def recipe(self, task: str) -> dict[str, object]:
        """The TrainConfig overrides this model trains with on `task`."""
        return {**self.train_defaults, **self.task_defaults.get(task, {})}

    def tags(self) -> dict[str, str]:
        """The metadata as MLflow run tags: what the report reads (never the name)."""
        flag = {True: "true", False: "false", None: ""}
        return {"family": self.family, "model_kind": self.kind, "runtime": self.runtime,
                "base_model": self.base or "", "zoo.floor": flag[self.floor],
                "model_size": self.size or "", "bidirectional": flag[self.bidirectional],
                "crf": flag[self.crf], "model_tasks": ",".join(self.tasks),
                "pretrained": self.pretrained, "encoder_mode": self.encoder_mode,
                **self.twins.tags()}


_REGISTRY: dict[str, ModelEntry] = {}


def _check(name: str, tasks: tuple[str, ...], kind: str, runtime: str, size: str | None,
           floor: bool, task_defaults: Mapping[str, object] | None,
           encoder_mode: str = "") -> None:
    unknown = set(tasks) - set(TASKS)
    if unknown or not tasks:
        raise ValueError(f"model {name!r}: tasks must be a non-empty subset of {TASKS}")
    if kind not in ("neural", "classical"):
        raise ValueError(f"model {name!r}: kind must be 'neural' or 'classical'")
    if runtime not in RUNTIMES:
        raise ValueError(f"model {name!r}: runtime must be torch, onnx or onnx_q8")
    if (size is None) != (kind == "classical") or size not in (*SIZES, None):
        raise ValueError(f"model {name!r}: a neural model has a size of {SIZES}, a "
                         "classical one none")
    if set(task_defaults or {}) - set(TASKS):
        raise ValueError(f"model {name!r}: task_defaults keys must be tasks of {TASKS}")
    if encoder_mode not in ENCODER_MODES:
        raise ValueError(f"model {name!r}: encoder_mode must be frozen, finetuned or ''")
    if floor and (kind != "classical" or len(tasks) != 1):
        raise ValueError(f"model {name!r}: a floor is a classical model of exactly one task")


def register_model(
    name: str,
    *,
    family: str,
    tasks: tuple[str, ...],
    kind: str = "neural",
    description: str = "",
    train_defaults: Mapping[str, object] | None = None,
    runtime: str = "torch",
    base: str | None = None,
    floor: bool = False,
    task_defaults: Mapping[str, Mapping[str, object]] | None = None,
    size: str | None = None,
    bidirectional: bool | None = None,
    crf: bool = False,
    twins: Twins | None = None,
    pretrained: str = "",
    encoder_mode: str = "",
):
    """Decorator: register `builder(info: DataInfo) -> model` under `name`."""
    _check(name, tasks, kind, runtime, size, floor, task_defaults, encoder_mode)

    def decorate(builder: Callable[[DataInfo], Any]) -> Callable[[DataInfo], Any]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        doc = description or ((builder.__doc__ or "").strip().splitlines() or [""])[0]
        _REGISTRY[name] = ModelEntry(
            name, family, tasks, kind, builder, doc, dict(train_defaults or {}), runtime,
            base, floor, {t: dict(d) for t, d in (task_defaults or {}).items() if t in tasks},
            size, bidirectional, crf, twins or Twins(),  # a family recipe covers all its tasks
            pretrained, encoder_mode)
        return builder

    return decorate


def get_entry(name: str) -> ModelEntry:
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=4, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; run `zoo models` to list them"
        raise ConfigError(f"unknown model {name!r}{hint}")
    return _REGISTRY[name]


def entries() -> list[ModelEntry]:
    """Every registered entry, by name."""
    return [_REGISTRY[n] for n in sorted(_REGISTRY)]


def check_supports(name: str, task: str) -> ModelEntry:
    entry = get_entry(name)
    if task not in entry.tasks:
        raise ConfigError(
            f"model {name!r} does not support task {task!r} (it supports {', '.join(entry.tasks)})"
        )
    return entry


def create_model(name: str, info: DataInfo):
    """Build a fresh, untrained model for the task described by `info`."""
    entry = check_supports(name, info.task)
    return entry.builder(info)


def list_models(pattern: str = "*", task: str | None = None) -> list[str]:
    """Registered names matching comma-separated glob patterns (e.g. "bilstm*,tfidf*")."""
    patterns = [p.strip() for p in pattern.split(",") if p.strip()] or ["*"]
    names = [n for n in sorted(_REGISTRY) if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
    if task is not None:
        names = [n for n in names if task in _REGISTRY[n].tasks]
    return names


def floor_model(task: str) -> str:
    """The registered floor model of `task`: exactly one per task, else a ConfigError."""
    floors = sorted(n for n, e in _REGISTRY.items() if e.floor and task in e.tasks)
    if len(floors) != 1:
        found = ", ".join(floors) or "none"
        raise ConfigError(f"task {task!r} needs exactly one registered floor model "
                          f"(found: {found})")
    return floors[0]
