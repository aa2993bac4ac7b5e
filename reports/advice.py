"""Textbook advice checked against the measurements: pure.

Each textbook claim is tested only where the measurements contain the models it speaks
about; verdicts use the same paired comparison as the leaderboard (`compare`).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reports import fmt
from reports.curves import Crossover
from reports.quantization import QuantRow
from reports.ranking import Row
from reports.recommend import Recommendation
from reports.significance import Comparison
from reports.usable import (
    at_floor,
    bilm_unconverged,
    has_bilm,
    is_classical,
    is_usable,
    markers,
    not_usable_text,
    p_text,
)

Compare = Callable[[Row, Row], Comparison]


@dataclass(frozen=True)
class Effect:
    """One measured effect a verdict rests on: `diff` (the claim's side − the other, in
    `unit`) with the 95% CI of the difference from the same test (None: the test gives
    none, e.g. the CI-overlap fallback)."""

    label: str  # what was compared, e.g. "bilstm_small − lstm_small at 2,546"
    diff: float | None
    ci: tuple[float, float] | None = None
    p_value: float | None = None
    unit: str = "points"

    @staticmethod
    def of(label: str, result: Comparison) -> Effect:
        return Effect(label, result.diff, result.ci, result.p_value)

    @property
    def text(self) -> str:
        """'bilstm_small − lstm_small at 2,546: +2.5 (95% CI −0.4 to +5.1)'."""
        digits = 1 if self.unit == "points" else 2
        ci = (f" (95% CI {fmt.signed(self.ci[0], digits)} to {fmt.signed(self.ci[1], digits)})"
              if self.ci else " (no CI of the difference)")
        return f"{self.label}: {fmt.signed(self.diff, digits)}{ci}"


@dataclass(frozen=True)
class Advice:
    claim: str
    verdict: str  # agrees | disagrees | inconclusive
    evidence: str
    reason: str = ""  # why inconclusive ("" otherwise)
    effects: tuple[Effect, ...] = ()  # the effect sizes the verdict rests on

    @property
    def label(self) -> str:
        """'agrees', or 'inconclusive: elmo_frozen_small time-capped'."""
        return f"{self.verdict}: {self.reason}" if self.reason else self.verdict


def marked(row: Row, metric: str) -> str:
    """'78.3 (1 seed)': a number with the markers of what it rests on."""
    marks = markers(row)
    return fmt.points(row.q(metric)) + (f" ({', '.join(marks)})" if marks else "")


def needs(rows: Sequence[Row]) -> str:
    """'' when every needed row may settle a claim, else 'elmo_small time-capped; ...': a
    row that is not usable, or an ELMo row whose biLM did not converge."""
    found = [not_usable_text(r) if not is_usable(r) else f"{r.model} biLM not converged"
             for r in rows if not is_usable(r) or bilm_unconverged(r)]
    return "; ".join(dict.fromkeys(found))


def _inconclusive(claim: str, reason: str, evidence: str = "") -> Advice:
    return Advice(claim, "inconclusive", evidence or f"Inconclusive: {reason}.", reason)


def effect(result: Comparison) -> str:
    """'+2.1 points, 95% CI +0.4 to +3.8, p=0.012': the effect size of a comparison (ref -
    other, points) with the 95% interval of the difference from the same test (the paired
    bootstrap; the CI-overlap fallback has none, and says so)."""
    if result.diff is None:
        return "difference not measured"
    text = f"{fmt.signed(result.diff)} points"
    if result.ci is not None:
        text += f", 95% CI {fmt.signed(result.ci[0])} to {fmt.signed(result.ci[1])}"
    elif result.basis == "CI overlap":
        text += "; no CI of the difference without per-example statistics (CI-overlap test)"
    else:
        text += f"; no CI of the difference, basis: {result.basis}"
    if result.p_value is not None:
        text += f", {p_text(result.p_value)}"
    return text


def versus(compare: Compare, better: Row, worse: Row, metric: str,
           ) -> tuple[int | None, str, Effect]:
    """+1: `better` is significantly ahead; 0: no significant difference; -1: behind;
    None: the difference could not be tested. The text carries the effect size and its CI,
    the `Effect` the same numbers."""
    result = compare(better, worse)
    gap = better.q(metric) - worse.q(metric)
    text = (f"{better.model} {marked(better, metric)} vs {worse.model} "
            f"{marked(worse, metric)} at {fmt.count(better.n_train)} examples")
    found = Effect.of(f"{better.model} − {worse.model} at {fmt.count(better.n_train)}", result)
    score = direction(result, gap)
    if score is None:
        return None, text + " (untested)", found
    if score == 0:
        return 0, text + f" (no significant difference: {effect(result)})", found
    return score, text + f" ({effect(result)})", found


def direction(result: Comparison, gap: float) -> int | None:
    """One comparison as a verdict's vote: +1 significantly ahead (`gap` > 0), -1 behind,
    0 no significant difference, None untested."""
    if result.significant is None:
        return None
    return (1 if gap > 0 else -1) if result.significant else 0


def verdict_of(scores: Sequence[int | None]) -> tuple[str, str]:
    """(verdict, reason when inconclusive)."""
    if any(s is None for s in scores):
        return "inconclusive", "a difference could not be tested"
    if all(s > 0 for s in scores):
        return "agrees", ""
    if all(s == 0 for s in scores):
        return "inconclusive", "no significant difference"
    if not any(s > 0 for s in scores):
        return "disagrees", ""
    return "inconclusive", "mixed results"


def pairs_claim(claim: str, pairs: Sequence[tuple[Row, Row]], compare: Compare,
                metric: str) -> Advice | None:
    """Each (claim's side, other side) pair compared; a pair whose two rows both sit at the
    floor is no evidence either way (named, left out of the vote); any other row that is not
    usable leaves the verdict inconclusive."""
    idle = [p for p in pairs if at_floor(p[0]) and at_floor(p[1])]
    pairs = [p for p in pairs if p not in idle]
    skipped = "; ".join(f"not evidence: {a.model} and {b.model} at {fmt.count(a.n_train)} "
                        "both at the floor" for a, b in idle)
    if not pairs:
        return (Advice(claim, "inconclusive", skipped + ".", "every pair at the floor")
                if idle else None)
    blocked = needs([r for pair in pairs for r in pair])
    results = [versus(compare, a, b, metric) for a, b in pairs]
    evidence = "; ".join([t for _, t, _ in results] + ([skipped] if skipped else [])) + "."
    effects = tuple(e for _, _, e in results)
    if blocked:
        return Advice(claim, "inconclusive", evidence, blocked, effects)
    verdict, reason = verdict_of([s for s, _, _ in results])
    return Advice(claim, verdict, evidence, reason, effects)


def twin_pairs(rows: Sequence[Row], metric: str, twin: str) -> list[tuple[Row, Row]]:
    """(row, its `twin`) for torch models whose twin of that kind is measured in `rows`."""
    by_model = {r.model: r for r in rows if r.q(metric) is not None}
    out = []
    for row in rows:
        other = row.twins.get(twin)
        if row.model in by_model and other in by_model and row.runtime == "torch":
            out.append((row, by_model[other]))
    return out


def best_pair(claim: str, ours: Sequence[Row], theirs: Sequence[Row], compare: Compare,
              metric: str) -> Advice:
    """The best of `ours` against the best of `theirs`; inconclusive when a model that
    leads its side (or would, by mean) is not usable."""
    a = max(ours, key=lambda r: r.q(metric))
    b = max(theirs, key=lambda r: r.q(metric))
    return pairs_claim(claim, [(a, b)], compare, metric)


ELMO_CLAIM = "Contextual embeddings (ELMo) are the choice for small data."


def elmo_claim(full: Sequence[Row], small: Sequence[Row], compare: Compare,
               metric: str) -> Advice | None:
    """"ELMo for small data": does a contextual-embedding model lead the models trained from
    scratch with the least data? Only a converged biLM is evidence; an ELMo row whose biLM
    stopped on a budget leaves the claim inconclusive, its numbers shown as context."""
    elmo = [r for r in small if has_bilm(r) and r.q(metric) is not None]
    others = [r for r in small if not has_bilm(r) and r.q(metric) is not None]
    if not (elmo and others and small[0].n_train != (full[0].n_train if full else None)):
        return None
    converged = [r for r in elmo if not bilm_unconverged(r)]
    if converged:
        return best_pair(ELMO_CLAIM, converged, others, compare, metric)
    a, b = (max(side, key=lambda r: r.q(metric)) for side in (elmo, others))
    _, text, found = versus(compare, a, b, metric)
    return Advice(ELMO_CLAIM, "inconclusive", text + ".", "biLM not converged", (found,))


def _budget(alias: str) -> float:
    """The p90 budget (ms) of a 'best-under-0p5ms' alias (reports.recommend.budget_alias)."""
    return float(alias[len("best-under-"):-len("ms")].replace("p", "."))


def realtime_claim(full: Sequence[Row], quant: Sequence[QuantRow],
                   recs: Sequence[Recommendation]) -> Advice | None:
    """"Quantized LSTM for real time": does an int8 variant win the tightest budget? A pick
    statistically tied (the leaderboard's tie groups) with a model of the other kind that
    also fits the budget settles nothing."""
    by_model = {r.model: r for r in full}
    # The claim is about LSTMs: int8 twins of models trained from scratch (`full` holds no
    # pretrained rows here), not of a pretrained transformer.
    q8 = [q for q in quant if q.runtime == "onnx_q8" and q.variant in by_model]
    budget_recs = [r for r in recs if r.alias.startswith("best-under-")]
    if not (q8 and budget_recs):
        return None
    claim = "A quantized (int8) LSTM is the choice for real-time use."
    tight = budget_recs[0]
    names = {q.variant for q in q8}
    gains = "; ".join(f"{q.variant}: {q.verdict}" for q in q8)
    blocked = needs([by_model[n] for n in sorted(names) if n in by_model])
    if tight.model is None:
        return _inconclusive(claim, f"no usable model for {tight.scenario}",
                             f"{tight.evidence} Int8 against float: {gains}.")
    text = f"{tight.scenario}: {tight.model}. Int8 against float: {gains}."
    if blocked and tight.model not in names:
        return _inconclusive(claim, blocked, text)
    budget = _budget(tight.alias)
    rivals = [m for m in tight.alternatives if m in by_model
              and (by_model[m].latency_p90 or budget + 1) <= budget
              and (m in names) != (tight.model in names)]
    if rivals:
        return _inconclusive(claim, f"{tight.model} is tied with {', '.join(rivals)} under "
                             "the budget (no significant difference)", text)
    return Advice(claim, "agrees" if tight.model in names else "disagrees", text)


def linear_claim(full: Sequence[Row], small: Sequence[Row], compare: Compare,
                 metric: str) -> Advice | None:
    linear = [r for r in small if r.family == "tfidf" and r.q(metric) is not None]
    neural = [r for r in small if r.family != "tfidf" and r.runtime == "torch"
              and not is_classical(r.family, model=r.model) and r.q(metric) is not None]
    if linear and neural and len({r.n_train for r in (*small, *full)}) > 1:
        return best_pair("With little labelled data a linear TF-IDF model beats neural "
                          "networks.", linear, neural, compare, metric)
    return None


TRANSFORMER_CLAIM = "Transformers need more data than LSTMs."


def _best(rows: Sequence[Row], metric: str) -> Row | None:
    scored = [r for r in rows if r.q(metric) is not None]
    return max(scored, key=lambda r: r.q(metric)) if scored else None


def transformer_claim(by_size: Mapping[int, Sequence[Row]], crossings: Sequence[Crossover],
                      compare: Compare, metric: str) -> Advice | None:
    """agrees: a crossover that holds (each side significantly ahead at its end) where a
    recurrent model leads with less data and a Transformer with more; disagrees: one the
    other way, or a Transformer significantly ahead of the best recurrent model already at
    the smallest size; otherwise inconclusive, with the gaps at both ends and their CIs."""
    def side(rows: Sequence[Row], recurrent: bool) -> list[Row]:
        return [r for r in rows if ("transformer" in r.family.lower()) != recurrent
                and (not recurrent or r.family.lower() in ("lstm", "bilstm", "gru"))
                and r.runtime == "torch"]  # a runtime twin is its float model, run otherwise

    sizes = sorted(by_size)
    ends = [(_best(side(by_size[n], False), metric), _best(side(by_size[n], True), metric))
            for n in (sizes[0], sizes[-1])] if len(sizes) > 1 else []
    if not ends or None in (x for pair in ends for x in pair):
        return None
    full = by_size[sizes[-1]]
    ok_t = {r.model for r in side(full, False) if is_usable(r)}
    ok_r = {r.model for r in side(full, True) if is_usable(r)}
    held = [c for c in crossings if c.holds]
    hungry = [c for c in held if c.large_data_winner in ok_t and c.small_data_winner in ok_r]
    against = [c for c in held if c.large_data_winner in ok_r and c.small_data_winner in ok_t]
    results = [versus(compare, t, r, metric) for t, r in ends]
    effects = tuple(e for _, _, e in results)
    gaps = "; ".join(t for _, t, _ in results)
    named = "; ".join(f"below ~{fmt.count(c.at)} examples {c.small_data_winner} beats "
                      f"{c.large_data_winner}" for c in (*hungry, *against))
    span = f"between {fmt.count(sizes[0])} and {fmt.count(sizes[-1])}"
    if hungry or against:
        verdict = ("agrees" if not against else "disagrees" if not hungry else "inconclusive")
        reason = "crossovers both ways" if hungry and against else ""
        return Advice(TRANSFORMER_CLAIM, verdict, f"{named} (each significantly ahead at its "
                      f"end). Best of each side: {gaps}.", reason, effects)
    blocked = needs([r for pair in ends for r in pair])
    if blocked:
        return Advice(TRANSFORMER_CLAIM, "inconclusive", f"{gaps}.",
                      f"no crossover among usable models ({blocked})", effects)
    if results[0][0] == 1:
        return Advice(TRANSFORMER_CLAIM, "disagrees", f"A Transformer leads already at the "
                      f"smallest size: {gaps}.", "", effects)
    return Advice(TRANSFORMER_CLAIM, "inconclusive", f"{gaps}.",
                  f"no detectable crossover {span}", effects)


def pretrained_claim(full: Sequence[Row], small: Sequence[Row], compare: Compare,
                     metric: str) -> Advice | None:
    """Does a model pretrained on outside text beat everything trained on the benchmark
    alone, at the smallest and at the largest size measured?"""
    def split(rows):
        return ([r for r in rows if r.pretrained and r.q(metric) is not None],
                [r for r in rows if not r.pretrained and r.q(metric) is not None])

    claim = ("A transformer pretrained on outside text beats every model trained on the "
             "benchmark alone.")
    pairs: dict[int | None, tuple[Row, Row]] = {}  # by size: small and full may be one
    for rows in (small, full):
        ours, theirs = split(rows)
        if ours and theirs:
            pairs[ours[0].n_train] = (max(ours, key=lambda r: r.q(metric)),
                                      max(theirs, key=lambda r: r.q(metric)))
    return pairs_claim(claim, list(pairs.values()), compare, metric) if pairs else None
