"""What `zoo tune` searches, and the dev-only fit each trial is (zoo.tune runs the study).

The search space is one table over TrainConfig recipe fields, centred on the family's recipe
(zoo/recipes.py, resolved as a cell resolves it: defaults < recipe < profile budget). A
categorical knob always offers the recipe's own value too, so the recipe is a point of the
space and can be enqueued as trial 0.

A trial never reads test: `fit_on_dev` trains and selects on dev exactly as
zoo.cells.train_cell does, and stops there (train_cell reads test once, at its end).
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from zoo import cells
from zoo.cells import CellSpec, resolve_cell, resolve_train_config
from zoo.configs import TrainConfig, config_hash
from zoo.data import train_subset
from zoo.data.splits import dev_subset


@dataclass(frozen=True)
class Knob:
    """One recipe field searched: categorical `choices` (plus the recipe's own value), or a
    log-uniform range of `log_factor` each way around the recipe's value."""

    field: str
    choices: tuple[object, ...] = ()
    log_factor: float = 0.0
    tasks: tuple[str, ...] = ()  # searched on these tasks only (every task when empty)


SPACE: tuple[Knob, ...] = (
    # The rate matters most and its best value moves with the data and the batch size: a
    # factor of 5 each way spans 2e-4..5e-3 around Adam's 1e-3 (the recipes use 1e-3 to
    # 5e-3; the NER recipe's 3e-3 was itself found by hand between 1e-3 and 3e-3).
    Knob("lr", log_factor=5.0),
    # More, noisier steps per epoch on a few thousand examples (the NER recipe's 16) or
    # fewer, smoother ones; the CNN's 50 (Kim 2014) stays a choice as its recipe value.
    Knob("batch_size", choices=(16, 32, 64)),
    # Clipping off, at the LSTM tip's norm 1.0 (every recipe's default), or loose at 5.0.
    Knob("clip_norm", choices=(0.0, 1.0, 5.0)),
    # A constant rate, or linear decay to 0 over the epoch cap (the Transformer recipe's
    # inverse square root stays a choice as its recipe value): the noisy-peak case.
    Knob("decay", choices=("none", "linear")),
    # AdamW's decoupled weight decay (zoo.train): none, its usual 0.01 (Loshchilov and
    # Hutter 2019), or strong.
    Knob("weight_decay", choices=(0.0, 0.01, 0.1)),
    # Label smoothing 0.1 (Szegedy et al. 2016; Vaswani et al. 2017) or none: translation.
    Knob("label_smoothing", choices=(0.0, 0.1), tasks=("translation",)),
)


def knobs_for(task: str) -> tuple[Knob, ...]:
    return tuple(k for k in SPACE if not k.tasks or task in k.tasks)


def choices_of(knob: Knob, recipe_value: object) -> tuple[object, ...]:
    """The knob's choices with the recipe's own value among them (appended when absent)."""
    return tuple(dict.fromkeys((*knob.choices, recipe_value)))


def recipe_params(recipe: TrainConfig, task: str) -> dict[str, object]:
    """The recipe's value of every searched field: trial 0's parameters."""
    return {k.field: getattr(recipe, k.field) for k in knobs_for(task)}


def suggest(trial, recipe: TrainConfig, task: str) -> dict[str, object]:
    """One trial's overrides (an optuna.Trial draws them; an enqueued trial gets its own)."""
    out: dict[str, object] = {}
    for knob in knobs_for(task):
        value = getattr(recipe, knob.field)
        if knob.log_factor:
            out[knob.field] = trial.suggest_float(knob.field, value / knob.log_factor,
                                                  value * knob.log_factor, log=True)
        else:
            out[knob.field] = trial.suggest_categorical(knob.field, choices_of(knob, value))
    return out


def space_digest(recipe: TrainConfig, task: str) -> str:
    """The resolved recipe and the searched table, hashed: after a recipe changes (as a
    significant tuning gain asks) or the table does, the same command starts a new study
    instead of mixing trials of two spaces (Optuna refuses changed categorical choices)."""
    table = [(k.field, [repr(c) for c in k.choices], k.log_factor) for k in knobs_for(task)]
    return hashlib.sha256(f"{config_hash(recipe)}|{table}".encode()).hexdigest()[:8]


def changed(overrides: Mapping[str, object], recipe: TrainConfig) -> dict[str, object]:
    """The overrides that differ from the recipe (what a person reads as "the tuning")."""
    return {k: v for k, v in overrides.items() if getattr(recipe, k) != v}


@dataclass(frozen=True)
class TuneRequest:
    """One study: a model on a dataset at one training size, trials trained with `seed`
    (also the sampler's seed); the comparison retrains recipe and best with `eval_seeds`."""

    model: str
    dataset: str
    task: str
    trials: int
    size: float | int = 1.0
    seed: int = 1
    eval_seeds: tuple[int, ...] = (1, 2, 3)
    profile: str = "standard"

    @property
    def study_name(self) -> str:
        """Everything that changes what a trial measures, except the trial budget: a rerun
        with more trials extends the same study."""
        return (f"{self.model}|{self.dataset}|n={self.size}|seed={self.seed}|"
                f"profile={self.profile}|space={space_digest(self.recipe(), self.task)}")

    def spec(self, seed: int, overrides: Mapping[str, object] | None = None) -> CellSpec:
        return CellSpec(self.task, self.dataset, self.model, self.size, seed, self.profile,
                        tuple(sorted((overrides or {}).items())))

    def recipe(self) -> TrainConfig:
        return resolve_train_config(self.spec(self.seed))


@dataclass(frozen=True)
class DevFit:
    best_dev: float  # the selection score of the best epoch (greedy decoding for seq2seq)
    best_epoch: int
    epochs_run: int
    seconds: float
    stop_reason: str


def fit_on_dev(spec: CellSpec, data, work_dir: Path, corpus=None) -> DevFit:
    """Train and select on dev as zoo.cells.train_cell does, and stop: test is never read.

    The steps are zoo.cells' own (its 400-line module has no room for this wrapper), so a
    trial trains exactly what the comparison's cells train. Neural models only. `corpus`:
    a biLM's pretraining text, as train_cell takes it.
    """
    cell = resolve_cell(spec, data.fingerprint)
    cfg = cell.config
    train = train_subset(data.splits["train"], spec.train_size, spec.seed)
    dev = data.splits["dev"]
    dev_used = dev_subset(dev, cfg.dev_limit, spec.task, data.fingerprint)
    info = cells._data_info(spec, data, train, cfg)
    model, device = cells._new_model(spec, info, cfg)
    start = time.perf_counter()
    cells._pretrain(model, data, work_dir, spec.seed, cfg, corpus)
    fit = cells._fit(cell, model, info, train, dev, dev_used, work_dir, device, None)
    record = fit.record
    return DevFit(max(e.dev_score for e in fit.epochs), int(record["best_epoch"]),
                  int(record["epochs_run"]), time.perf_counter() - start,
                  str(record["stop_reason"]))
