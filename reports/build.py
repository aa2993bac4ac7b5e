"""Assemble the decision guide's content from run dicts: pure (no I/O, no mlflow).

`build_report(runs, parents, ...)` returns a `Report` that the HTML and Markdown renderers
only lay out; everything the page claims is computed here from the measurements.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from reports import (
    curves,
    layer_mix,
    quantization,
    ranking,
    recommend,
    regressions,
    usable,
    variants,
)
from reports.claims import CLAIMS, ClaimRow, ReportEvidence, SectionEvidence, evaluate
from reports.leaderboard import Comparator, floor_row, rank_rows, tie_basis_text, usable_pareto
from reports.runs import (
    QUALITY,
    Cell,
    MissingCell,
    current_cells,
    env_label,
    environments,
    missing_cells,
    plan_of,
    primary_metric,
    sections,
    size_key,
    to_cells,
    unresolved,
)
from reports.tuning import TuningRow
from zoo.tracking import schema


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    task: str
    licence: str
    citation: str
    sizes: tuple[int, ...]
    requested: tuple[str, ...]
    seeds: tuple[str, ...]
    models: tuple[str, ...]


@dataclass(frozen=True)
class EnvInfo:
    env_id: str
    label: str
    fields: dict[str, str]
    runs: int


@dataclass
class Section:
    task: str
    dataset: str
    env_id: str
    env_label: str
    anchor: str
    metric: str
    metrics: tuple[str, ...]
    sizes: list[int]
    rows: list[ranking.Row]  # at the largest size: ranked, Pareto-marked
    small_rows: list[ranking.Row]  # at the smallest size, ranked
    rows_by_size: dict[int, list[ranking.Row]]
    not_at_full: list[str]  # models measured only at smaller sizes
    tie_basis: str
    learning: dict[str, list[curves.CurvePoint]]
    crossovers: list[curves.Crossover]  # that hold (significant at both ends), most relevant
    n_crossovers: int
    recs: list[recommend.Recommendation]
    branches: list[recommend.Branch]
    quant: list[quantization.QuantRow]
    evidence: SectionEvidence  # what the textbook claims read (reports.claims)
    primary_env: bool  # the dataset's newest environment: its picks get registered
    warnings: list[str] = field(default_factory=list)
    # Mean-order flips that fail the significance test, most relevant first, and their count.
    unconfirmed: list[curves.Crossover] = field(default_factory=list)
    n_unconfirmed: int = 0
    analysis: object | None = None  # reports.error_analysis.Analysis (set by reports.render)

    @property
    def n_full(self) -> int:
        return self.sizes[-1] if self.sizes else 0

    def pick(self, rec: recommend.Recommendation) -> ranking.Row | None:
        """The row a recommendation rests on (at its own training size)."""
        if not rec.model:
            return None
        rows = self.rows_by_size.get(rec.n_train or self.n_full) or self.rows
        return next((r for r in rows if r.model == rec.model),
                    next((r for r in self.rows if r.model == rec.model), None))

    @property
    def floor(self) -> ranking.Row | None:
        return floor_row(self.rows)

    @property
    def size_range(self) -> str:
        """'800–8,000 training examples' (this section's own sizes)."""
        if not self.sizes:
            return "no training size"
        if len(self.sizes) == 1:
            return f"{self.sizes[0]:,} training examples"
        return f"{self.sizes[0]:,}–{self.sizes[-1]:,} training examples"


@dataclass
class Report:
    experiment: str
    generated: str
    tracking_uri: str
    smoke: bool
    profiles: list[str]
    datasets: list[DatasetInfo]
    envs: list[EnvInfo]
    git_shas: list[str]
    period: tuple[str, str]
    sections: list[Section]
    failed: list[Cell]
    running: list[Cell]
    missing: list[MissingCell]
    changes: list[regressions.Change]
    warnings: list[str]
    n_runs: int
    run_urls: dict[str, str]
    cells: dict[str, Cell]  # every run by id
    stop_counts: dict[str, int] = field(default_factory=dict)  # current cells by stop state
    pretraining: list[Pretraining] = field(default_factory=list)
    mlflow_ui: str = ""  # where the run links point ("" when no UI address is known)
    # Across tasks: the learned layer mix of each frozen encoder (claim 8's evidence).
    layer_mixes: list[layer_mix.MixModel] = field(default_factory=list)
    claims: list[ClaimRow] = field(default_factory=list)  # the textbook-advice table
    tuning: list[TuningRow] = field(default_factory=list)  # recipe vs tuned (zoo tune)


# Context only, never a rank: a perplexity depends on the corpus and the vocabulary.
ELMO_PUBLISHED = ("ELMo's biLM: about 39.7 on the 1B Word Benchmark (Peters et al. 2018; a "
                  "different corpus and vocabulary, not a rank)")


@dataclass(frozen=True)
class Pretraining:
    """One pretrained biLM, as the cells that loaded it logged it (pretrain/* metrics)."""

    models: tuple[str, ...]
    datasets: tuple[str, ...]  # the cells' datasets that used it
    corpus_datasets: int  # datasets whose training text it was pretrained on
    sentences: int
    epochs: float
    seconds: float
    perplexity_start: float | None
    perplexity: float
    hit_budget: bool
    steps: int | None = None
    corpus_tokens: int | None = None
    # True: early-stopped on held-out perplexity; False: a step budget or time cap stopped
    # it; None: not recorded (older runs), so not known to be converged.
    converged: bool | None = None
    published: str = ELMO_PUBLISHED


def pretraining(current: Sequence[Cell]) -> list[Pretraining]:
    """The distinct pretrained biLMs behind the current cells: cells that share one logged
    the same sentences, perplexity and cost (a cache hit repeats the first cell's record)."""
    groups: dict[tuple, list[Cell]] = {}
    for c in current:
        ppl = c.metric(schema.PRETRAIN_PERPLEXITY)
        if ppl is None:
            continue
        key = (round(ppl, 3), c.metric(schema.PRETRAIN_SENTENCES),
               c.metric(schema.PRETRAIN_SECONDS))
        groups.setdefault(key, []).append(c)
    out = []
    for (ppl, sentences, seconds), cells in groups.items():
        first = cells[0]
        converged, steps, tokens = (first.metric(k) for k in (
            schema.PRETRAIN_CONVERGED, schema.PRETRAIN_STEPS, schema.PRETRAIN_CORPUS_TOKENS))
        out.append(Pretraining(
            models=tuple(sorted({c.model for c in cells})),
            datasets=tuple(sorted({c.dataset for c in cells})),
            corpus_datasets=int(first.metric(schema.PRETRAIN_CORPUS_DATASETS) or 1),
            sentences=int(sentences or 0), epochs=first.metric(schema.PRETRAIN_EPOCHS) or 0.0,
            seconds=seconds or 0.0,
            perplexity_start=first.metric(schema.PRETRAIN_PERPLEXITY_START),
            perplexity=ppl, hit_budget=bool(first.metric(schema.PRETRAIN_HIT_TIME_BUDGET)),
            steps=None if steps is None else round(steps),
            corpus_tokens=None if tokens is None else round(tokens),
            converged=None if converged is None else converged == 1.0))
    return sorted(out, key=lambda p: p.models)


def stop_counts(current: Sequence[Cell]) -> dict[str, int]:
    """Current cells by how they stopped: converged, time-capped, epoch cap (still
    improving), not converged for another reason, unknown (older runs)."""
    out = {"converged": 0, "time_cap": 0, "epoch_cap": 0, "still_improving": 0,
           "unknown": 0, "other": 0}
    for c in current:
        stop = usable.run_stop(c.model, c.family, c.tags, c.metrics)
        if stop.stop_reason == "epoch_cap":
            out["epoch_cap"] += 1
            out["still_improving"] += bool(stop.still_improving)
        if stop.converged:
            out["converged"] += 1
        elif stop.stop_reason == "time_cap":
            out["time_cap"] += 1
        elif stop.stop_reason == "unknown":
            out["unknown"] += 1
        elif stop.stop_reason != "epoch_cap":
            out["other"] += 1
    return out


def when(ms: int | None) -> str:
    if not ms:
        return "?"
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def slug(*parts: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-") or "section"


def safe_uri(uri: str) -> str:
    """A tracking URI without credentials (user:password@ is dropped)."""
    return re.sub(r"//[^/@\s]*@", "//", uri)


def build_section(key: tuple[str, str, str], cells: Sequence[Cell], env: str,
                  stats: Mapping[str, Mapping], primary_env: bool,
                  budgets: Sequence[float] = recommend.BUDGETS_MS) -> Section:
    task, dataset, env_id = key
    metric = primary_metric(task)
    comparator = Comparator(metric, {c.run_id: c for c in cells}, stats)
    cells, ablations = variants.split(cells)  # recipe variants: beside their models only
    sizes = sorted({c.n_train or 0 for c in cells})
    by_size = {n: rank_rows(ranking.aggregate(cells, task, n), comparator) for n in sizes}
    full = usable_pareto(by_size[sizes[-1]], metric) if sizes else []
    small = by_size[sizes[0]] if sizes else []
    learning = curves.learning_curves(by_size, metric)
    found = curves.crossovers(by_size, comparator, metric)
    held, unconfirmed = [c for c in found if c.holds], [c for c in found if not c.holds]
    recs = recommend.recommendations(full, small, metric, budgets, where=dataset)
    quant = quantization.quantization_by_size(
        {n: rows if n != sizes[-1] else full for n, rows in by_size.items()}, comparator)
    evidence = SectionEvidence(task, dataset, metric, by_size, full, comparator, quant, recs,
                               found, comparator.cells,
                               variants.variant_rows(ablations, by_size, comparator, task))
    at_full = {r.model for r in full}
    warnings = []
    profiles = sorted({c.profile for c in cells})
    if full and floor_row(full) is None:
        warnings.append("No floor model (majority class, all-O, copy-source) was measured at "
                        f"{sizes[-1]:,} examples, so 'above the floor' could not be checked "
                        "here; only convergence decides which models are usable.")
    if len(profiles) > 1:
        warnings.append(f"These runs come from several profiles ({', '.join(profiles)}), i.e. "
                        "different training budgets; the newest run of each cell is shown.")
    return Section(
        task=task, dataset=dataset, env_id=env_id, env_label=env,
        anchor=slug(task, dataset, hashlib.sha1(env_id.encode()).hexdigest()[:8]), metric=metric, metrics=QUALITY.get(task, ()),
        sizes=sizes, rows=full, small_rows=small, rows_by_size=by_size,
        not_at_full=sorted({c.model for c in cells} - at_full),
        tie_basis=tie_basis_text(comparator.bases),
        learning=learning,
        crossovers=curves.relevant_crossovers(held, curves.leaders(learning)),
        n_crossovers=len(held), recs=recs,
        branches=recommend.decision_branches(by_size, metric, budgets), quant=quant,
        evidence=evidence,
        primary_env=primary_env, warnings=warnings,
        unconfirmed=curves.relevant_crossovers(unconfirmed, curves.leaders(learning)),
        n_unconfirmed=len(unconfirmed))


def _dataset_infos(current: Sequence[Cell], cards: Mapping[str, tuple[str, str]],
                   ) -> list[DatasetInfo]:
    out = []
    for name in sorted({c.dataset for c in current}):
        group = [c for c in current if c.dataset == name]
        licence, citation = cards.get(name, ("not in the zoo's dataset catalog", "–"))
        out.append(DatasetInfo(
            name, group[0].task, licence, citation,
            tuple(sorted({c.n_train for c in group if c.n_train is not None})),
            tuple(sorted({c.train_size for c in group}, key=size_key)),
            tuple(sorted({c.seed for c in group}, key=size_key)),
            tuple(sorted({c.model for c in group if not c.variant}))))
    return out


def build_report(runs: Sequence[Mapping], parents: Sequence[Mapping], experiment: str, *,
                 stats: Mapping[str, Mapping] | None = None,
                 cards: Mapping[str, tuple[str, str]] | None = None,
                 smoke_profiles: frozenset[str] = frozenset(),
                 run_url: Callable[[str], str | None] = lambda run_id: None,
                 tracking_uri: str = "", mlflow_ui: str = "",
                 now: datetime | None = None,
                 budgets: Sequence[float] = recommend.BUDGETS_MS,
                 tuning: Sequence[TuningRow] = ()) -> Report:
    cells = to_cells(runs)
    current = current_cells(cells)
    env_fields = environments(cells)
    newest_env: dict[tuple[str, str], tuple[int, str]] = {}
    for c in current:
        k = (c.task, c.dataset)
        newest_env[k] = max(newest_env.get(k, (0, "")), (c.start_time, c.env_id))
    built = []
    for key, group in sections(current).items():
        built.append(build_section(key, group, env_label(env_fields.get(key[2], {})),
                                   stats or {}, newest_env[(key[0], key[1])][1] == key[2],
                                   budgets))
    built.sort(key=lambda s: (s.task, s.dataset, not s.primary_env, s.env_label))
    parent_tags = parents[0].get("tags", {}) if parents else {}
    planned = plan_of(parent_tags)
    parent_profile = parent_tags.get(schema.PROFILE)
    profiles = sorted({c.profile for c in current} | ({parent_profile} if parent_profile
                                                       else set()))
    warnings = []
    for (task, dataset), n in _count_envs(current).items():
        if n > 1:
            warnings.append(f"{dataset} ({task}) was measured in {n} different environments: "
                            "each gets its own section and they are never ranked together.")
    shas = sorted({c.tags.get(schema.GIT_SHA, "?") for c in current})
    # Layer weights do not depend on the machine: each dataset's newest environment counts.
    mixes = layer_mix.mix_models((r for s in built if s.primary_env
                                  for rows in s.rows_by_size.values() for r in rows),
                                 {c.run_id: c for c in current})
    if len(shas) > 1:
        warnings.append(f"The ranked runs come from {len(shas)} code versions "
                        f"({', '.join(shas)}).")
    return Report(
        experiment=experiment,
        generated=(now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"),
        tracking_uri=safe_uri(tracking_uri),
        smoke=is_smoke(current, parent_tags, smoke_profiles), profiles=profiles,
        datasets=_dataset_infos(current, cards or {}),
        envs=[EnvInfo(e, env_label(f), f, sum(c.env_id == e for c in current))
              for e, f in env_fields.items() if any(c.env_id == e for c in current)],
        git_shas=shas,
        period=(when(min((c.start_time for c in current), default=None)),
                when(max((c.end_time or c.start_time for c in current), default=None))),
        sections=built, failed=[c for c in unresolved(cells) if c.status != "RUNNING"],
        running=[c for c in unresolved(cells) if c.status == "RUNNING"],
        missing=missing_cells(cells, planned),
        changes=regressions.changes(cells), warnings=warnings, n_runs=len(cells),
        run_urls={c.run_id: u for c in cells if (u := run_url(c.run_id))},
        cells={c.run_id: c for c in cells}, stop_counts=stop_counts(current),
        pretraining=pretraining(current), mlflow_ui=mlflow_ui, layer_mixes=mixes,
        claims=evaluate(CLAIMS, ReportEvidence([s.evidence for s in built if s.primary_env],
                                               mixes, tuning)), tuning=list(tuning))


def is_smoke(current: Sequence[Cell], parent_tags: Mapping[str, str],
             smoke_profiles: frozenset[str]) -> bool:
    """Smoke-level numbers: a current run, or the latest benchmark, has the `zoo.smoke` tag
    (zoo.configs.Profile.smoke, logged with the run); a run logged before the tag existed
    counts by its profile's name in `smoke_profiles` (reports.render derives them from
    zoo.configs)."""
    def smoke(tags: Mapping[str, str], profile: str | None) -> bool:
        flag = schema.is_smoke(tags)
        return flag if flag is not None else profile in smoke_profiles

    return (any(smoke(c.tags, c.profile) for c in current)
            or (bool(parent_tags) and smoke(parent_tags, parent_tags.get(schema.PROFILE))))


def _count_envs(current: Sequence[Cell]) -> dict[tuple[str, str], int]:
    envs: dict[tuple[str, str], set[str]] = {}
    for c in current:
        envs.setdefault((c.task, c.dataset), set()).add(c.env_id)
    return {k: len(v) for k, v in sorted(envs.items())}


def needed_stats(runs: Sequence[Mapping]) -> list[str]:
    """Run ids whose per-example stats the report uses: every current run of every section
    (comparisons happen at each measured size, for ranks, the decision tree and advice)."""
    return sorted(c.run_id for c in current_cells(to_cells(runs)))
