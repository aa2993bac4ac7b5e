"""Frozen configuration dataclasses and checked `key=value` overrides.

An unknown override key or a value of the wrong type is an error, never a warning:
fairseq once built the wrong model size silently from a mistyped argument.
"""
from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field

from zoo import model_index
from zoo.errors import ConfigError


@dataclass(frozen=True)
class TrainConfig:
    """How a neural model is trained. Every field is logged with the run."""

    epochs: int = 10
    min_steps: int = 0  # optimizer steps a run has at least (zoo.train.scheduled_epochs)
    batch_size: int = 32
    lr: float = 1e-3
    # The task layer's rate (the `head`) beside a fine-tuned encoder's small `lr`; 0 = `lr`.
    head_lr: float = 0.0
    weight_decay: float = 0.0
    clip_norm: float = 1.0  # gradient-norm clipping; 0 disables it
    warmup_steps: int = 0
    # Warmup as a fraction of the run's optimizer steps (BERT's 10 %, Devlin et al. 2019);
    # the larger of the two applies (100 fixed steps were 4 of 6 epochs at 848 mr sentences).
    warmup_fraction: float = 0.0
    decay: str = "none"  # none | linear | inverse_sqrt
    label_smoothing: float = 0.0
    # Recipe variants (zoo.variants; an ablation changes one of these): start at the peak
    # rate, `warmup_steps` still marking where the decay begins; the recurrence's
    # initialisation ("recipe": the model's own, "torch_default": PyTorch's); every dropout
    # rate in the model (negative: the model's own); batch normalisation of the recurrent
    # encoder's outputs.
    skip_warmup: bool = False
    init: str = "recipe"
    dropout: float = -1.0
    batch_norm: bool = False
    patience: int = 3  # early stopping: epochs without dev improvement
    # Early stopping never fires before this epoch (NER dev F1 can sit at 0 for a while).
    min_epochs: int = 1
    # A run that reached the epoch cap counts as converged when the best dev score of its
    # last `patience` epochs beats the best before them by less than this, as a fraction of
    # the metric's full scale (0.002 = 0.2 accuracy/F1 points; 0.2 BLEU on its 0-100 scale).
    flat_tolerance: float = 0.002
    max_train_seconds: float = 0.0  # wall-clock budget for training; 0 = none
    # bfloat16 autocast while training where it is native (zoo.device.bf16_autocast_ok;
    # float32 elsewhere); the fine-tuning recipe turns it on (zoo.recipes.PRETRAINED).
    amp: bool = False
    # Budget of a model's own pretraining (the ELMo biLM): optimizer steps, which make the
    # pretrained weights the same on any machine, and a wall-clock safety cap in seconds
    # (reported when hit); 0 = the model's default.
    pretrain_max_steps: int = 0
    pretrain_max_seconds: float = 0.0
    # Pretrain until held-out perplexity stops improving, keeping the best weights (a budget
    # left it at perplexity 109, 2026-12-06); the caps above then only guard, reported when hit.
    pretrain_until_converged: bool = False
    # Held-out evaluations (every 500 steps) without a 1 % relative improvement before the
    # biLM stops; 0 = the model's own (zoo.encoders.bilm_training.UntilConverged).
    pretrain_patience: int = 0
    vocab_min_freq: int = 1
    # Probability that a token seen once in the training subset is fed as <unk> while
    # training (Lample et al. 2016 use 0.5), so the <unk> vector learns; 0 = never.
    unk_replace: float = 0.0
    # Length bucketing of training batches: sort by length within pools of this many
    # batches (zoo.train.plan_batches); 0 = plain shuffled batches.
    bucket_pool: int = 50
    vocab_max_size: int = 30000
    max_len: int = 64  # tokens kept per training sentence; prediction reads whole sentences
    # Model selection and the logged dev metrics use a seeded, stratified sample of
    # `dev_limit` dev examples, the same for every cell of a dataset (zoo.data.splits.
    # dev_subset; 0 = all; a speed knob for smoke profiles); test is always read whole.
    dev_limit: int = 0

    def __post_init__(self) -> None:
        if self.decay not in ("none", "linear", "inverse_sqrt"):
            raise ConfigError(f"decay={self.decay!r} is not one of none, linear, inverse_sqrt")
        if self.epochs < 1 or self.batch_size < 1:
            raise ConfigError("epochs and batch_size must be at least 1")
        if min(self.min_epochs, self.min_steps, self.flat_tolerance, self.bucket_pool,
               self.head_lr) < 0:
            raise ConfigError("min_epochs, min_steps, flat_tolerance, bucket_pool and head_lr "
                              "must not be negative")
        if self.init not in ("recipe", "torch_default"):
            raise ConfigError(f"init={self.init!r} is not one of recipe, torch_default")
        if self.dropout >= 1.0:
            raise ConfigError(f"dropout={self.dropout} must be below 1 (negative: the model's own)")
        if not 0.0 <= self.warmup_fraction < 1.0:
            raise ConfigError(f"warmup_fraction={self.warmup_fraction} must be in [0, 1)")
        if not 0.0 <= self.unk_replace < 1.0:
            raise ConfigError(f"unk_replace={self.unk_replace} must be in [0, 1)")
        if min(self.pretrain_max_steps, self.pretrain_max_seconds, self.pretrain_patience) < 0:
            raise ConfigError("pretrain_max_steps, pretrain_max_seconds and pretrain_patience "
                              "must not be negative (0 = the model's own)")
        if self.pretrain_patience and not self.pretrain_until_converged:
            raise ConfigError("pretrain_patience applies only with pretrain_until_converged="
                              "true (a budgeted biLM stops at its steps or seconds)")


def _accepts(annotation: object, value: object) -> bool:
    """Whether `value` fits a simple dataclass field annotation (int, float, str, bool, X | None)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return any(_accepts(arm, value) for arm in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(annotation, type) and isinstance(value, annotation)


def type_name(annotation: object) -> str:
    """"int", "float", "int or None": a field annotation as a user reads it (not a repr)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return " or ".join(type_name(arm) for arm in typing.get_args(annotation))
    if annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", str(annotation))


def _example(annotation: object) -> str:
    name = type_name(annotation)
    for kind, example in (("bool", "true"), ("float", "0.5"), ("int", "3")):
        if kind in name:
            return example
    return "text"


def _parse_scalar(text: str) -> object:
    """Parse an override value written on the command line: JSON scalars, else a bare string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_overrides(items: list[str] | tuple[str, ...]) -> dict[str, object]:
    """Turn ["epochs=3", "lr=0.01"] into {"epochs": 3, "lr": 0.01}."""
    out: dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} is not key=value (e.g. epochs=3)")
        out[key.strip()] = _parse_scalar(value.strip())
    return out


def apply_overrides(config, overrides: Mapping[str, object]):
    """Return a copy of a frozen dataclass with checked overrides applied."""
    hints = typing.get_type_hints(type(config))
    names = [f.name for f in dataclasses.fields(config)]
    for key, value in overrides.items():
        if key not in hints:
            raise ConfigError(
                f"unknown {type(config).__name__} key {key!r}; valid keys: {', '.join(names)}"
            )
        if not _accepts(hints[key], value):
            raise ConfigError(
                f"{type(config).__name__}.{key} must be {type_name(hints[key])}, got {value!r} "
                f"(e.g. --set {key}={_example(hints[key])})"
            )
        if hints[key] is float and isinstance(value, int):
            overrides = {**overrides, key: float(value)}
    return dataclasses.replace(config, **dict(overrides))


def config_hash(*parts: object) -> str:
    """A stable short hash of configuration objects (dataclasses, dicts, scalars)."""
    def plain(obj: object) -> object:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {"__type__": type(obj).__name__, **dataclasses.asdict(obj)}
        return obj

    text = json.dumps([plain(p) for p in parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ModelSelection:
    """Which registered models a profile runs, chosen by their catalog metadata (size, kind,
    runtime, float twin: zoo.model_index.ModelFacts), never by a hand list: a model registered
    in its family file (and indexed) joins every profile its metadata fits. Test-sized (`tiny`)
    models and the trivial floors are never selected here (the planner adds each task's floor
    to every run); a model runs only on the tasks it supports."""

    sizes: tuple[str, ...] = ()  # the PyTorch models of these sizes
    largest: bool = False  # and the largest size of each family
    classical: bool = True  # the classical baselines (TF-IDF, feature CRF, lexical)
    # The models that start from a checkpoint pretrained on outside text (frozen and
    # fine-tuned: what a practitioner deploys first), whatever their size.
    pretrained: bool = False
    # ONNX Runtime twins (float and int8) of the float models matching these globs; a
    # twin always runs with its float base (the report compares the two).
    runtime_twins_of: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # globs over names left out (each profile says why)

    def names(self, entries) -> tuple[str, ...]:
        """The selected names among `entries` (zoo.model_index.ModelFacts, or the registry's
        zoo.model_catalog.ModelEntry: the same fields), sorted."""
        def matches(name: str | None, globs: tuple[str, ...]) -> bool:
            return name is not None and any(fnmatch.fnmatchcase(name, g) for g in globs)

        kept = [e for e in entries
                if not e.floor and e.size != "tiny" and not matches(e.name, self.exclude)]
        torch = [e for e in kept if e.kind == "neural" and e.runtime == "torch"]
        chosen = {e.name for e in torch if e.size in self.sizes}
        if self.largest:
            rank = {size: i for i, size in enumerate(("small", "base"))}
            top = {e.family: e.size for e in sorted(torch, key=lambda e: rank[e.size])}
            chosen |= {e.name for e in torch if e.size == top[e.family]}
        chosen |= {e.name for e in kept if self.classical and e.kind == "classical"}
        chosen |= {e.name for e in torch if self.pretrained and e.pretrained}
        twins = [e for e in kept if e.runtime != "torch"
                 and matches(e.base, self.runtime_twins_of)]
        chosen |= {e.name for e in twins} | {e.base for e in twins}
        return tuple(sorted(chosen))


@dataclass(frozen=True)
class Profile:
    """A named benchmark matrix with its training budget."""

    name: str
    description: str
    datasets: tuple[str, ...]
    selection: ModelSelection  # which registered models run (by metadata)
    train_sizes: tuple[float | int, ...]  # fractions in (0, 1] or example counts
    seeds: tuple[int, ...]
    train: Mapping[str, object] = field(default_factory=dict)  # TrainConfig overrides
    smoke: bool = False  # numbers are a first look only (one seed, small sizes or models)
    # Training sizes of one dataset where they differ from `train_sizes` (a 136k-pair
    # translation corpus and a 2k-tweet NER set need different points on the data axis).
    dataset_sizes: Mapping[str, tuple[float | int, ...]] = field(default_factory=dict)
    # Seeds of one dataset where they differ from `seeds` (translation cells cost ~7x a
    # sentence classifier's per example: fewer seeds, with the report saying so).
    dataset_seeds: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    # Models that run on fewer cells than the rest: model glob -> {dataset: sizes}; a
    # matching model runs on those datasets at those sizes only (e.g. a costly fine-tuned
    # model at the smallest size of a smoke profile). Each profile says why.
    only_at: Mapping[str, Mapping[str, tuple[float | int, ...]]] = field(default_factory=dict)
    # Recipe variants (zoo.variants names; "*" = all) planned beside their models, at the same
    # sizes and seeds; `variant_bases_only`: keep only the models a planned variant names.
    variants: tuple[str, ...] = ()
    variant_bases_only: bool = False

    @property
    def models(self) -> tuple[str, ...]:
        """The registered names `selection` picks (the planner keeps, per dataset, those that
        support its task), read from the model index: no family file is imported."""
        return self.selection.names(model_index.MODELS)

    def sizes_for(self, dataset: str) -> tuple[float | int, ...]:
        return tuple(self.dataset_sizes.get(dataset, self.train_sizes))

    def seeds_for(self, dataset: str) -> tuple[int, ...]:
        return tuple(self.dataset_seeds.get(dataset, self.seeds))

    def model_sizes_for(self, model: str, dataset: str) -> tuple[float | int, ...]:
        """The sizes `model` runs at on `dataset` (none: it does not run there)."""
        for glob, where in self.only_at.items():
            if fnmatch.fnmatchcase(model, glob):
                return tuple(where.get(dataset, ()))
        return self.sizes_for(dataset)


# Every family at "small" size, each task's classical baselines, and the ONNX Runtime float /
# int8 twins of the real-time candidates (the BiLSTM and the BiLSTM-CRF). Two small variants
# stay out of the quick profile to fit 15 minutes on 2 cores (`standard` has them):
# lstm_attn_small (86 cell-seconds on mr, an LSTM with attention pooling beside the LSTM,
# BiLSTM and Transformer) and seq2seq_lstm_small (99 s; the GRU encoder-decoder stands for
# the RNN seq2seq family and scored higher at 3,000 tatoeba pairs: test BLEU 6.0 vs 4.6,
# quick run of 2026-12-03). The fine-tuned ELMo and the Transformer-CRF run at base size
# only (`full`): the frozen ELMo and the BiLSTM-CRF stand for them at small size.
_SMALL = ModelSelection(sizes=("small",), pretrained=True,
                        runtime_twins_of=("bilstm_small", "bilstm_crf_small", "minilm_l6"),
                        exclude=("elmo_finetune_*", "transformer_crf_*"))
_QUICK = dataclasses.replace(_SMALL, exclude=(*_SMALL.exclude, "lstm_attn_*", "seq2seq_lstm_*"))
# The largest size of every family (the recurrent RNN and GRU have no base size), with every
# ONNX twin and its float base. The LSTM encoder-decoder stands for the RNN seq2seq family.
_FULL = ModelSelection(largest=True, runtime_twins_of=("*",), exclude=("seq2seq_gru_*",))

PROFILES: dict[str, Profile] = {
    "quick": Profile(
        name="quick",
        description="The main job: the model families at small size on the three default "
                    "datasets (lstm_attn and seq2seq_lstm only in standard), one seed; "
                    "sentiment at two training sizes (the data-size axis), NER and "
                    "translation at one; each neural cell trains with its family's recipe "
                    "until early stopping (no time cap).",
        datasets=("mr", "wnut16", "tatoeba-en-es"),
        selection=_QUICK,
        train_sizes=(0.1, 0.3),
        seeds=(1,),
        # Budgets only (the recipes in zoo/recipes.py set epochs, patience and rates): dev
        # selection on a 400-example stratified sample, the English biLM pretrained for 400
        # optimizer steps (0.18 epochs, about 80 s; not converged, so its ELMo rows carry a
        # "biLM not converged" marker and settle no claim) once for every dataset that reads
        # English, on one worker's thread while the other worker trains (2 threads ran 1.5x
        # faster, but would leave the other worker idle).
        train={"dev_limit": 400, "pretrain_max_steps": 400, "pretrain_max_seconds": 300.0},
        # NER and translation at one size each, to fit 15 minutes on 2 cores: at half of
        # wnut16's 1,916 tweets cnn_small stayed at span F1 0 (the floor) and the others at
        # 0.07-0.19, and every seq2seq model at 1,000 tatoeba pairs stayed under the
        # copy-source floor (quick run of 2026-12-03, docs/runs/quick_profile_run_*). Translation
        # gets 3,000 pairs only: the output layer and optimiser over a full 30k-word
        # vocabulary cost as much as the model (benchmarks/train_throughput.py --size).
        dataset_sizes={"wnut16": (1.0,), "tatoeba-en-es": (3000,)},
        # The pretrained encoder is in every sentiment and NER cell in its frozen form
        # (minilm_frozen: one forward pass per sentence, shared on disk by the cells, then
        # a small head); fine-tuned (minilm_l6, with its ONNX twins) at the smaller mr size
        # only: fine-tuning all of its 22.7M parameters costs about 1 s a batch of 32 on one
        # core, 355 s at 2,545 mr sentences (4 epochs, 2026-12-07, AMD EPYC), which does not
        # fit 15 minutes beside the rest.
        only_at={"minilm_l6*": {"mr": (0.1,)}},
        smoke=True,  # one seed, small sizes: the report flags it (reports.render)
    ),
    "standard": Profile(
        name="standard",
        description="The nightly figures: every small family on mr and wnut16 at four "
                    "training sizes (10/25/50/100 %) and three seeds, with the ONNX twins "
                    "of the real-time candidates; translation (tatoeba) at 3,000 and 10,000 "
                    "pairs with one seed; each neural cell trains until early stopping. "
                    "Base variants are in `full` (or `--models '*_base'`).",
        datasets=("mr", "wnut16", "tatoeba-en-es"),
        selection=_SMALL,
        train_sizes=(0.1, 0.25, 0.5, 1.0),
        seeds=(1, 2, 3),
        # Sized to fit 2.5 hours on 2 cores from the quick run's cell costs (1 thread per
        # worker, two workers): all of mr ~1,000 cell-seconds per seed for the sentiment
        # models, wnut16 ~570, tatoeba 3,000 pairs ~450; so ~8,700 worker-seconds for mr
        # and wnut16 at 4 sizes x 3 seeds, ~2,100 for translation at 2 sizes x 1 seed.
        # The time cap is a safety net only: a cell that hits it is reported as
        # time-capped, not converged.
        # The English biLM (SMALL) pretrains until held-out perplexity stops improving, in
        # one worker while the other trains cells: estimated 9k-18k steps (4-8 epochs) at
        # ~0.21 s a step, 35-65 min (benchmarks/bilm_convergence.py; the 2026-12-06 run's
        # 849 steps in 180 s). 90 min is its safety cap (reported when hit); 60,000 steps
        # (27 epochs) is never reached within it on 2 cores.
        train={"dev_limit": 1000, "pretrain_until_converged": True, "pretrain_patience": 4,
               "pretrain_max_steps": 60000, "pretrain_max_seconds": 5400.0,
               "max_train_seconds": 1800.0},
        dataset_sizes={"tatoeba-en-es": (3000, 10000)},
        dataset_seeds={"tatoeba-en-es": (1,)},
    ),
    # The training tips of the textbook advice as ablations (CLAIMS.md 10-14, 16, 17): each
    # variant of zoo.variants beside its model's own recipe, with standard's budgets, at two
    # sizes (a quarter and all of the training split: tips like dropout matter most with
    # little data, clipping and warmup with many steps) and three seeds; translation at
    # 10,000 pairs, two seeds (a seq2seq Transformer cell costs ~7x a sentence classifier's).
    # Its own profile: it does not fit beside standard's 2.5 hours.
    # Cost, measured (2026-12-07, AMD EPYC, 2 workers): 224 cells in 1 h 32 min, mr and
    # wnut16 49 min 55 s, translation 41 min 45 s (docs/runs/claims_profile_run_2026-12-07.txt).
    "claims": Profile(
        name="claims",
        description="The recipe ablations the textbook advice needs: each LSTM and "
                    "Transformer training tip (clipping, dropout, initialisation, "
                    "learning-rate decay, batch norm, warmup, label smoothing) as a variant "
                    "beside its model's recipe; mr and wnut16 at 25 % and 100 %, three seeds; "
                    "tatoeba at 10,000 pairs, two seeds.",
        datasets=("mr", "wnut16", "tatoeba-en-es"),
        selection=ModelSelection(sizes=("small",), classical=False),
        train_sizes=(0.25, 1.0),
        seeds=(1, 2, 3),
        train={"dev_limit": 1000, "max_train_seconds": 1800.0},
        dataset_sizes={"tatoeba-en-es": (10000,)},
        dataset_seeds={"tatoeba-en-es": (1, 2)},
        variants=("*",),
        variant_bases_only=True,
    ),
    "full": Profile(
        name="full",
        description="The standard benchmarks (conll2003, wnut17, sst2, multi30k; from a "
                    "mirror or the network), full size sweep, 5 seeds, base variants.",
        datasets=("conll2003", "wnut17", "sst2", "multi30k"),
        selection=_FULL,
        train_sizes=(0.1, 0.25, 0.5, 1.0),
        seeds=(1, 2, 3, 4, 5),
        # The BASE biLM until converged: ~5x SMALL's time a step (1.4 vs 0.27 s on a loaded
        # 2-core machine), so an estimated 2-4 h; 6 h is its safety cap.
        train={"max_train_seconds": 3600.0, "pretrain_until_converged": True,
               "pretrain_patience": 4, "pretrain_max_steps": 60000,
               "pretrain_max_seconds": 21600.0},
    ),
}


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise ConfigError(f"unknown profile {name!r}; choose one of: {', '.join(PROFILES)}")
    return PROFILES[name]
