"""Run dicts from `zoo.tracking.load_runs()` as typed cells: pure functions, no I/O.

A *cell identity* is (task, dataset, model, requested training size, seed, environment):
re-running a benchmark with new code gives a new `zoo.cell_key` but the same identity, so the
report keeps the newest finished run per identity and never counts a re-run as another seed.
A *section* is (task, dataset, environment): numbers are only ranked within one section.
"""
from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

from zoo.tracking import schema
from zoo.variants import shown_name

# Quality metrics per task; the first one is primary (ranking, recommendations): the schema's.
_SECONDARY = {"sentiment": ("macro_f1",), "ner": (), "translation": ("chrf",)}
QUALITY: dict[str, tuple[str, ...]] = {
    task: (primary, *_SECONDARY.get(task, ())) for task, primary in schema.PRIMARY_METRIC.items()}
# Fractions (0-1) are shown as percentages; BLEU / chrF are already 0-100. All report maths
# happens in these display *points*, so "within 1 point" means the same on every task.
SCALE = {"accuracy": 100.0, "macro_f1": 100.0, "f1": 100.0, "bleu": 1.0, "chrf": 1.0}
LABEL = {"accuracy": "accuracy", "macro_f1": "macro-F1", "f1": "span F1", "bleu": "BLEU",
         "chrf": "chrF"}
UNIT = {"accuracy": "%", "macro_f1": "%", "f1": "%", "bleu": "", "chrf": ""}
TASK_LABEL = {"sentiment": "Sentiment", "ner": "NER", "translation": "Translation"}


def num(value) -> float | None:
    """A finite float, or None for missing / unparsable / NaN values."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def primary_metric(task: str) -> str:
    return schema.PRIMARY_METRIC.get(task, "?")


@functools.lru_cache(maxsize=None)
def catalog_tags(model: str) -> Mapping[str, str]:
    """The catalog metadata of a registered model as run tags (zoo.model_catalog.ModelEntry.tags);
    {} for a name the catalog does not know (a removed or synthetic model)."""
    from zoo.errors import ConfigError
    from zoo.models import get_entry

    try:
        return get_entry(model).tags()
    except ConfigError:
        return {}


def model_tags(model: str, tags: Mapping[str, str]) -> Mapping[str, str]:
    """A run's model metadata: its own tags (zoo.sweep.run_record.cell_tags logs the catalog
    entry's), under which a run logged before the metadata tags existed gets the catalog's
    entry of that name. Never parsed from the name."""
    if schema.MODEL_SIZE in tags:  # every entry's tags() carries it
        return tags
    return {**catalog_tags(model), **tags}


@dataclass(frozen=True)
class Cell:
    """One run of one benchmark cell, with the fields the report reads."""

    run_id: str
    status: str
    task: str
    dataset: str
    model: str
    family: str
    runtime: str
    base: str | None
    train_size: str  # as requested: fraction or count
    n_train: int | None  # examples actually used
    seed: str
    profile: str
    env_id: str
    start_time: int
    end_time: int | None
    metrics: Mapping[str, float]
    tags: Mapping[str, str]
    # The registered models that differ from this one in one property only (zoo.model_catalog.
    # Twins): {"unidirectional": ..., "no_crf": ..., "small": ...}, the ones it has.
    twins: Mapping[str, str] = field(default_factory=dict)
    # The outside checkpoint the model started from ("" when trained on the benchmark only).
    pretrained: str = ""
    # How its pretrained encoder (a checkpoint or the ELMo biLM) is used: "frozen" (under a
    # learned scalar mix of its layers), "finetuned", or "" (no pretrained encoder).
    encoder_mode: str = ""
    # A recipe variant's name (zoo.variants; its `model` is then shown as "lstm_small~no_clip"
    # and `variant_of` names the model): an ablation, never ranked among the models.
    variant: str = ""
    variant_of: str = ""

    @property
    def identity(self) -> tuple[str, ...]:
        return (self.task, self.dataset, self.model, self.train_size, self.seed, self.env_id)

    @property
    def section(self) -> tuple[str, str, str]:
        return (self.task, self.dataset, self.env_id)

    def metric(self, name: str) -> float | None:
        return num(self.metrics.get(name))

    def quality(self, metric: str, suffix: str = "") -> float | None:
        """test/<metric><suffix> in display points (percent for fractions)."""
        value = self.metric(schema.test_metric(metric, suffix))
        return None if value is None else value * SCALE.get(metric, 1.0)

    @property
    def bilm_converged(self) -> bool | None:
        """None when the model has no biLM of its own (pretrained on the benchmark's text, as
        ELMo's is; its runs log `pretrain/perplexity`); else whether that biLM early-stopped
        on held-out perplexity (`pretrain/converged` = 1). A run logged before the key
        existed is not known to be converged: False."""
        if self.pretrained or all(self.metric(k) is None for k in BILM_KEYS):
            return None
        return self.metric(schema.PRETRAIN_CONVERGED) == 1.0

    @property
    def smoke(self) -> bool | None:
        """Whether its profile is a smoke profile (the run's tag); None: not recorded."""
        return schema.is_smoke(self.tags)

    @property
    def error(self) -> str:
        return self.tags.get(schema.ERROR, "")

    @property
    def stage(self) -> str:
        return self.tags.get(schema.STAGE, "")


# Metrics only a run with its own pretrained biLM logs (zoo/encoders/bilm_training.py).
BILM_KEYS = (schema.PRETRAIN_PERPLEXITY, schema.PRETRAIN_CONVERGED)


def to_cell(run: Mapping) -> Cell:
    tags = _schedule_end({str(k): str(v) for k, v in (run.get("tags") or {}).items()},
                         run.get("params") or {})
    metrics = {str(k): v for k, v in (run.get("metrics") or {}).items()}
    model = tags.get(schema.MODEL, "?")
    meta = model_tags(model, tags)
    variant = tags.get(schema.VARIANT, "")
    n_train = num(metrics.get(schema.TRAIN_EXAMPLES))
    if n_train is None:
        n_train = num(tags.get(schema.TRAIN_EXAMPLES_TAG))
    prefix = schema.TWIN_PREFIX
    return Cell(
        run_id=str(run.get("run_id", "")), status=str(run.get("status", "?")),
        task=tags.get(schema.TASK, "?"), dataset=tags.get(schema.DATASET, "?"),
        model=shown_name(model, variant), variant=variant, variant_of=model if variant else "",
        family=meta.get(schema.FAMILY, "?"), runtime=meta.get(schema.RUNTIME) or "torch",
        base=meta.get(schema.BASE_MODEL) or None, train_size=tags.get(schema.TRAIN_SIZE, "?"),
        n_train=None if n_train is None else round(n_train),
        seed=tags.get(schema.SEED, "?"), profile=tags.get(schema.PROFILE, "?"),
        env_id=tags.get(schema.ENV_ID, "?"), start_time=int(run.get("start_time") or 0),
        end_time=int(run["end_time"]) if run.get("end_time") else None,
        metrics=metrics, tags=tags,
        twins={k[len(prefix):]: v for k, v in meta.items() if k.startswith(prefix) and v},
        pretrained=meta.get(schema.PRETRAINED, ""),
        encoder_mode=meta.get(schema.ENCODER_MODE, ""))


def _schedule_end(tags: dict[str, str], params: Mapping) -> dict[str, str]:
    """A run logged before the `schedule_end` stop reason existed (zoo.train.stop_summary)
    that ran its whole linear-decay schedule was tagged epoch_cap: read it as what it was."""
    decay = params.get(f"{schema.TRAIN_PARAM_PREFIX}decay")
    if tags.get(schema.STOP_REASON) == "epoch_cap" and decay == "linear":
        return {**tags, schema.STOP_REASON: "schedule_end", schema.CONVERGED: "true"}
    return tags


def to_cells(runs: Iterable[Mapping]) -> list[Cell]:
    return [to_cell(r) for r in runs]


def by_identity(cells: Iterable[Cell]) -> dict[tuple, list[Cell]]:
    """Runs of each identity, oldest first."""
    groups: dict[tuple, list[Cell]] = defaultdict(list)
    for cell in cells:
        groups[cell.identity].append(cell)
    for group in groups.values():
        group.sort(key=lambda c: (c.start_time, c.run_id))
    return dict(groups)


def current_cells(cells: Iterable[Cell]) -> list[Cell]:
    """The newest FINISHED run of every identity: what the leaderboards rank."""
    out = []
    for group in by_identity(cells).values():
        done = [c for c in group if c.status == "FINISHED"]
        if done:
            out.append(done[-1])
    return sorted(out, key=lambda c: c.identity)


def unresolved(cells: Iterable[Cell]) -> list[Cell]:
    """Identities whose newest run is not FINISHED (failed, killed, still running)."""
    out = []
    for group in by_identity(cells).values():
        if group[-1].status != "FINISHED":
            out.append(group[-1])
    return sorted(out, key=lambda c: c.identity)


def sections(cells: Iterable[Cell]) -> dict[tuple[str, str, str], list[Cell]]:
    """Cells grouped by (task, dataset, environment), sorted by key."""
    groups: dict[tuple[str, str, str], list[Cell]] = defaultdict(list)
    for cell in cells:
        groups[cell.section].append(cell)
    return dict(sorted(groups.items()))


def size_key(value: str) -> float:
    parsed = num(value)
    return parsed if parsed is not None else math.inf


@dataclass(frozen=True)
class MissingCell:
    task: str
    dataset: str
    model: str
    train_size: str
    seed: str
    env_id: str


class Planned(NamedTuple):
    """What the latest benchmark planned for one dataset: its sizes and seeds, and the
    sizes of each model planned at other sizes there (`plan.sizes.<dataset>/<model>`)."""

    sizes: list[str]
    seeds: list[str]
    model_sizes: Mapping[str, list[str]] = MappingProxyType({})


def plan_of(parent_tags: Mapping[str, str]) -> dict[str, Planned]:
    """dataset -> what the latest benchmark planned there (its plan.* tags): the dataset's
    own `plan.sizes.<dataset>` and `plan.seeds.<dataset>`, else (runs before they existed)
    every planned size and seed."""
    def items(key: str) -> list[str]:
        return [v for v in str(parent_tags.get(key, "")).split(",") if v]

    def own(name: str) -> dict[str, list[str]]:
        prefix = schema.plan_sizes(name) + "/"
        return {k[len(prefix):]: items(k) for k in parent_tags if k.startswith(prefix)}

    sizes, seeds = items(schema.plan_sizes()), items(schema.plan_seeds())
    return {name: Planned(items(schema.plan_sizes(name)) or sizes,
                          items(schema.plan_seeds(name)) or seeds, own(name))
            for name in items(schema.PLAN_DATASETS)}


def missing_cells(cells: Iterable[Cell], planned: Mapping[str, Iterable] | None = None,
                  ) -> list[MissingCell]:
    """Holes in the matrix: for each (task, dataset, environment), every model seen there
    times every size and seed seen there (plus the sizes and seeds `planned[dataset]` by the
    latest benchmark; a model planned at its own sizes, at those) that has no run at all.
    Failed runs are not holes: they are listed."""
    out = []
    for (task, dataset, env), group in sections(cells).items():
        plan = Planned(*(planned or {}).get(dataset, ((), ())))
        models = sorted({c.model for c in group})
        sizes = sorted({c.train_size for c in group} | set(plan.sizes), key=size_key)
        seeds = sorted({c.seed for c in group} | set(plan.seeds), key=size_key)
        seen = {(c.model, c.train_size, c.seed) for c in group}
        for model in models:
            for size in plan.model_sizes.get(model, sizes):
                for seed in seeds:
                    if (model, size, seed) not in seen:
                        out.append(MissingCell(task, dataset, model, size, seed, env))
    return out


ENV_FIELDS = schema.ENV_TAGS


def environments(cells: Iterable[Cell]) -> dict[str, dict[str, str]]:
    """env_id -> the environment tags of its runs (cpu, cores, threads, versions...)."""
    out: dict[str, dict[str, str]] = {}
    for cell in sorted(cells, key=lambda c: c.start_time):
        out[cell.env_id] = {k: cell.tags.get(k, "?") for k in ENV_FIELDS}
    return dict(sorted(out.items()))


def env_label(env: Mapping[str, str]) -> str:
    """A short one-line description of an environment."""
    device = env.get(schema.DEVICE, "?")
    where = env.get(schema.CPU, "?") if device == "cpu" else device
    return (f"{where} · {env.get(schema.CORES, '?')} cores · "
            f"{env.get(schema.THREADS, '?')} threads · "
            f"torch {env.get(schema.TORCH_VERSION, '?')}")
