"""What a claim is (a declaration), what its test reads (the report's evidence) and what it
yields (one table row per place it was tested, or one row saying what is missing)."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from reports import fmt
from reports.advice import Advice, Compare
from reports.curves import Crossover
from reports.layer_mix import MixModel
from reports.quantization import QuantRow
from reports.ranking import Row
from reports.recommend import Recommendation
from reports.runs import TASK_LABEL, Cell
from reports.tuning import TuningRow
from reports.variants import VariantRow


@dataclass(frozen=True)
class Needs:
    """The evidence a claim needs: which models (or recipe variants), on which tasks, at
    which sizes. `missing` overrides the "not measured" reason when the evidence cannot exist
    yet (e.g. recipe-ablation cells that no profile plans)."""

    models: str
    tasks: tuple[str, ...] = ()  # () = any task
    sizes: str = ""
    variants: tuple[str, ...] = ()  # recipe variants (one recipe field changed)
    missing: str = ""

    @property
    def text(self) -> str:
        """'seq2seq Transformer vs recurrent seq2seq; translation; each size'."""
        parts = [self.models]
        if self.variants:
            parts.append("variants: " + ", ".join(self.variants))
        if self.tasks:
            parts.append(", ".join(TASK_LABEL.get(t, t) for t in self.tasks))
        if self.sizes:
            parts.append(self.sizes)
        return "; ".join(parts)

    @property
    def not_measured(self) -> str:
        return self.missing or f"not measured (needs {self.models})"


@dataclass(frozen=True)
class SectionEvidence:
    """One dataset's measurements (its newest environment), as the leaderboard ranked them."""

    task: str
    dataset: str
    metric: str
    by_size: Mapping[int, Sequence[Row]]  # ranked rows at each measured size
    full: Sequence[Row]  # the largest size, Pareto-marked
    compare: Compare  # the leaderboard's comparison (paired bootstrap, else CI overlap)
    quant: Sequence[QuantRow] = ()
    recs: Sequence[Recommendation] = ()
    crossovers: Sequence[Crossover] = ()  # every one found, held or not
    cells: Mapping[str, Cell] = field(default_factory=dict)
    variants: Sequence[VariantRow] = ()  # recipe variants against their models' recipes

    @property
    def small(self) -> Sequence[Row]:
        return self.by_size[min(self.by_size)] if self.by_size else []

    @property
    def where(self) -> str:
        return f"{TASK_LABEL.get(self.task, self.task)} · {self.dataset}"


@dataclass(frozen=True)
class ReportEvidence:
    sections: Sequence[SectionEvidence]
    mixes: Sequence[MixModel] = ()  # learned layer mixes, across tasks
    tuning: Sequence[TuningRow] = ()  # recipe vs Optuna-tuned studies (zoo tune)


@dataclass(frozen=True)
class Finding:
    where: str  # "Sentiment · mr", or "across tasks · minilm_frozen"
    advice: Advice


@dataclass(frozen=True)
class Claim:
    """One piece of textbook advice (a row of ../shared/design/CLAIMS.md) and its test."""

    number: int  # the row of CLAIMS.md
    wording: str
    source: str  # the CLAIMS.md source keys, e.g. "guide, elmo"
    needs: Needs
    test: Callable[[ReportEvidence], list[Finding]]


@dataclass(frozen=True)
class ClaimRow:
    claim: Claim
    where: str  # "–" when nothing was measured
    advice: Advice

    @property
    def effect_text(self) -> str:
        return "; ".join(e.text for e in self.advice.effects) or fmt.DASH

    @property
    def tested_as(self) -> str:
        """The statement the test checked, when it is narrower than the claim's wording."""
        return "" if self.advice.claim == self.claim.wording else self.advice.claim


def evaluate(claims: Sequence[Claim], evidence: ReportEvidence) -> list[ClaimRow]:
    """Every claim gets at least one row: its findings, or 'inconclusive: not measured'."""
    rows = []
    for claim in sorted(claims, key=lambda c: c.number):
        found = claim.test(evidence)
        rows += [ClaimRow(claim, f.where, f.advice) for f in found]
        if not found:
            rows.append(ClaimRow(claim, fmt.DASH, Advice(
                claim.wording, "inconclusive", "", claim.needs.not_measured)))
    return rows
