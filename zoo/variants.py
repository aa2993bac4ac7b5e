"""Recipe variants: a benchmark cell whose training recipe differs from its model's in one
field, so that a training tip (clip gradients, dropout, warmup, ...) is measured as an
ablation against the model's own recipe, on the same data, sizes and seeds.

A variant is keyed, cached and tracked like any cell (tag `zoo.variant`); the report shows it
next to its model as "variant" and never recommends or registers it. The claims that need a
variant name it (reports/claims/declared.py); a test checks that every variant here is named
by a claim and every named one exists. Variants live on this floor (data, no imports from
above) because the planner (zoo.sweep.plan) and the report both read them.

A variant's cells are written `lstm_small~no_clip` where a model name is shown.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from zoo.errors import ConfigError

SEP = "~"  # model names are identifiers ([a-z0-9_]), so this never occurs in one

SENT_NER = ("sentiment", "ner")
# The LSTM families the tips are written for (CLAIMS.md 10-14): plain, bidirectional, and the
# BiLSTM-CRF tagger (NER only: it has no sentence classifier).
LSTMS = ("lstm_small", "bilstm_small", "bilstm_crf_small")


@dataclass(frozen=True)
class RecipeVariant:
    name: str  # the tag value and the suffix after SEP
    label: str  # what differs from the recipe, for people
    change: tuple[tuple[str, object], ...]  # TrainConfig fields set (one tip: one field)
    models: tuple[str, ...]  # the registered models it is planned for
    tasks: tuple[str, ...]  # on the datasets of these tasks
    # Which side carries the textbook tip: "recipe" (the variant removes it, e.g. no
    # clipping) or "variant" (the variant adds it, e.g. learning-rate decay).
    tip_in: str

    @property
    def changes(self) -> dict[str, object]:
        return dict(self.change)


VARIANTS: dict[str, RecipeVariant] = {v.name: v for v in (
    RecipeVariant("no_clip", "no gradient clipping (recipe: norm 1.0)",
                  (("clip_norm", 0.0),), LSTMS, SENT_NER, tip_in="recipe"),
    RecipeVariant("torch_init", "PyTorch's default initialisation of the recurrence "
                  "(recipe: Xavier input weights, orthogonal recurrent weights, forget-gate "
                  "bias 1)", (("init", "torch_default"),), LSTMS, SENT_NER, tip_in="recipe"),
    RecipeVariant("no_dropout", "dropout 0 (recipe: 0.3 small, 0.4 base)",
                  (("dropout", 0.0),), LSTMS, SENT_NER, tip_in="recipe"),
    RecipeVariant("lr_decay", "linear learning-rate decay to 0 (recipe: constant)",
                  (("decay", "linear"),), LSTMS, SENT_NER, tip_in="variant"),
    RecipeVariant("batch_norm", "batch normalisation of the encoder's outputs (recipe: none)",
                  (("batch_norm", True),), LSTMS, SENT_NER, tip_in="variant"),
    RecipeVariant("no_warmup", "no learning-rate warmup: the peak rate from the first step, "
                  "the same decay after (recipe: 200 warmup steps, 300 for translation)",
                  (("skip_warmup", True),),
                  ("transformer_small", "seq2seq_transformer_small"),
                  ("sentiment", "ner", "translation"), tip_in="recipe"),
    RecipeVariant("no_label_smoothing", "no label smoothing (recipe: 0.1)",
                  (("label_smoothing", 0.0),), ("seq2seq_transformer_small",),
                  ("translation",), tip_in="recipe"),
)}


def get_variant(name: str) -> RecipeVariant:
    if name not in VARIANTS:
        raise ConfigError(f"unknown recipe variant {name!r}; known: {', '.join(VARIANTS)}")
    return VARIANTS[name]


def variant_changes(name: str) -> Mapping[str, object]:
    """The TrainConfig fields variant `name` sets ({} for the recipe itself, name "")."""
    return get_variant(name).changes if name else {}


def shown_name(model: str, variant: str) -> str:
    """'lstm_small~no_clip' for a variant's cells, the model's name otherwise."""
    return f"{model}{SEP}{variant}" if variant else model


def split_shown(name: str) -> tuple[str, str]:
    """('lstm_small', 'no_clip') from 'lstm_small~no_clip'; (name, '') for a model."""
    model, _, variant = name.partition(SEP)
    return model, variant


def planned_for(model: str, task: str, names: tuple[str, ...]) -> list[str]:
    """The variants among `names` ('*': all) planned for `model` on a dataset of `task`."""
    chosen = VARIANTS.values() if "*" in names else [get_variant(n) for n in names]
    return [v.name for v in chosen if model in v.models and task in v.tasks]
