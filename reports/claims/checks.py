"""The tests of the claims: each reads the report's evidence and returns its findings. Every
comparison is the leaderboard's (`SectionEvidence.compare`), stated with its effect size and
95% CI; a model that is not usable (unconverged, time-capped, at the floor) or an ELMo whose
biLM did not converge leaves a verdict inconclusive (`reports.advice.needs`).

Model facts come from the run metadata (family, twins, pretrained, encoder mode, size), never
from model names."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from reports import advice, layer_mix, pretrained_advice
from reports.advice import Advice
from reports.claims.model import Finding, ReportEvidence, SectionEvidence
from reports.ranking import Row
from reports.runs import model_tags
from reports.tuning import TuningRow
from reports.usable import has_bilm, is_classical
from zoo.tracking import schema

SectionTest = Callable[[SectionEvidence], "Advice | Iterable[Advice] | None"]


def per_section(test: SectionTest, tasks: Sequence[str] = ()) -> Callable[
        [ReportEvidence], list[Finding]]:
    """A report-level test from a section-level one, run on the sections of `tasks`."""
    def run(evidence: ReportEvidence) -> list[Finding]:
        out = []
        for section in evidence.sections:
            if tasks and section.task not in tasks:
                continue
            found = test(section)
            found = [found] if isinstance(found, Advice) else list(found or ())
            out += [Finding(section.where, a) for a in found if a is not None]
        return out
    return run


def not_run(evidence: ReportEvidence) -> list[Finding]:
    """For claims whose evidence no profile produces yet: never a finding."""
    return []


def across_tasks_layer_mix(evidence: ReportEvidence) -> list[Finding]:
    """One finding per frozen encoder, named where it was measured (two encoders' rows would
    otherwise read alike in the table)."""
    return [Finding(f"across tasks · {m.model}", a) for m in evidence.mixes
            if (a := layer_mix.layer_claim(m)) is not None]


# ---- which rows are evidence ----

def _is_floor(row: Row) -> bool:
    return bool(row.usability and row.usability.floor)


def no_floor(rows: Iterable[Row]) -> list[Row]:
    """The floor models are never evidence for or against a claim."""
    return [r for r in rows if not _is_floor(r)]


def scratch(rows: Iterable[Row]) -> list[Row]:
    """Rows of models that learn from the benchmark's data only (no outside checkpoint)."""
    return [r for r in no_floor(rows) if not r.pretrained]


def neural_scratch(rows: Iterable[Row], metric: str) -> list[Row]:
    """Neural models trained from scratch, run in eager PyTorch, with a value: no classical
    model, no ELMo (its biLM is pretrained), no runtime twin."""
    return [r for r in scratch(rows) if r.runtime == "torch" and r.q(metric) is not None
            and not is_classical(r.family, model=r.model) and not has_bilm(r)]


def _multi_size(ev: SectionEvidence) -> bool:
    return len(ev.by_size) > 1


# ---- the claims the guide checked before claims were data (their logic unchanged) ----

def pretrained_transformer(ev: SectionEvidence) -> Advice | None:
    return advice.pretrained_claim(no_floor(ev.full), no_floor(ev.small), ev.compare,
                                   ev.metric)


def elmo_small_data(ev: SectionEvidence) -> Advice | None:
    return advice.elmo_claim(scratch(ev.full), scratch(ev.small), ev.compare, ev.metric)


def frozen_small_data(ev: SectionEvidence) -> Advice | None:
    rows = {n: no_floor(rows) for n, rows in ev.by_size.items()}
    return pretrained_advice.frozen_small_data(rows, ev.compare, ev.metric)


def freeze_or_finetune(ev: SectionEvidence) -> list[Advice]:
    rows = {n: no_floor(rows) for n, rows in ev.by_size.items()}
    return pretrained_advice.freeze_or_finetune(rows, ev.compare, ev.metric)


def realtime(ev: SectionEvidence) -> Advice | None:
    return advice.realtime_claim(scratch(ev.full), ev.quant, ev.recs)


def twin_claim(claim: str, twin: str) -> SectionTest:
    """Each model against its one-property twin of kind `twin`, at the largest size."""
    def test(ev: SectionEvidence) -> Advice | None:
        return advice.pairs_claim(claim, advice.twin_pairs(scratch(ev.full), ev.metric, twin),
                                  ev.compare, ev.metric)
    return test


def linear_small_data(ev: SectionEvidence) -> Advice | None:
    return advice.linear_claim(scratch(ev.full), scratch(ev.small), ev.compare, ev.metric)


def transformer_data_hunger(ev: SectionEvidence) -> Advice | None:
    rows = {n: scratch(rows) for n, rows in ev.by_size.items()}
    return advice.transformer_claim(rows, ev.crossovers, ev.compare, ev.metric)


# ---- claims added with the declarations ----

# Architecture families by their registry metadata (zoo/families/*.py `family=`).
LSTM_OR_CNN = ("lstm", "bilstm", "bilstm_crf", "lstm_attn", "cnn")
SEQ2SEQ_TRANSFORMER = ("seq2seq_transformer",)
SEQ2SEQ_RECURRENT = ("seq2seq_lstm", "seq2seq_gru")


def best_at_each_size(claim: str, ours: Sequence[str], theirs: Sequence[str] | None,
                      ) -> SectionTest:
    """The best model of the families `ours` against the best of `theirs` (None: every
    other neural family trained from scratch) at each measured size: agrees when ahead
    significantly at every size, disagrees when behind at every size, else inconclusive."""
    def test(ev: SectionEvidence) -> Advice | None:
        pairs = []
        for n in sorted(ev.by_size):
            rows = neural_scratch(ev.by_size[n], ev.metric)
            a = [r for r in rows if r.family in ours]
            b = [r for r in rows if (r.family in theirs if theirs else r.family not in ours)]
            if a and b:
                pairs.append(tuple(max(side, key=lambda r: r.q(ev.metric)) for side in (a, b)))
        return advice.pairs_claim(claim, pairs, ev.compare, ev.metric)
    return test


def _size(ev: SectionEvidence, row: Row) -> str:
    cell = next((ev.cells[r] for r in row.run_ids if r in ev.cells), None)
    return model_tags(row.model, cell.tags if cell else {}).get(schema.MODEL_SIZE, "")


def attention_helps_lstm(ev: SectionEvidence) -> Advice | None:
    """An LSTM with attention pooling (family lstm_attn) against the plain LSTM (family
    lstm) of the same registered size, at every measured size."""
    pairs = []
    for n in sorted(ev.by_size):
        rows = neural_scratch(ev.by_size[n], ev.metric)
        plain = {_size(ev, r): r for r in rows if r.family == "lstm"}
        pairs += [(r, plain[_size(ev, r)]) for r in rows
                  if r.family == "lstm_attn" and _size(ev, r) in plain]
    return advice.pairs_claim("An LSTM with attention beats the same LSTM without it.", pairs,
                              ev.compare, ev.metric)


def ablation(claim: str, variant: str) -> SectionTest:
    """A training tip (zoo.variants): the side with the tip against the side without it, for
    every model the variant ran beside, at every size both were measured."""
    def test(ev: SectionEvidence) -> Advice | None:
        pairs = [v.with_tip for v in ev.variants if v.variant == variant]
        return advice.pairs_claim(claim, pairs, ev.compare, ev.metric)
    return test


TUNED = "An Optuna-tuned recipe beats the family's fixed recipe (test, seeds averaged)."


def tuning_gains(evidence: ReportEvidence) -> list[Finding]:
    """Claim 19, per dataset: each `zoo tune` study's tuned config against the recipe on test
    (the paired bootstrap; trials selected on dev only)."""
    by_dataset: dict[str, list[TuningRow]] = {}
    for row in evidence.tuning:
        by_dataset.setdefault(row.dataset, []).append(row)
    out = []
    for dataset, rows in sorted(by_dataset.items()):
        scores, texts = [], []
        for r in rows:
            c = r.comparison
            scores.append(advice.direction(c, c.diff or 0))
            texts.append(f"{r.model} recipe {r.test_recipe:.1f} vs tuned {r.test_tuned:.1f} "
                         f"({advice.effect(c)})" if r.test_recipe is not None
                         and r.test_tuned is not None else f"{r.model}: untested")
        verdict, reason = advice.verdict_of(scores)
        effects = tuple(advice.Effect.of(f"{r.model} tuned − recipe", r.comparison)
                        for r in rows)
        out.append(Finding(f"{dataset} (zoo tune)", Advice(TUNED, verdict, "; ".join(texts) + ".",
                                                             reason, effects)))
    return out
