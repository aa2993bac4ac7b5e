"""Quantization trade-offs and textbook advice checked against the measurements: pure.

Each textbook claim is tested only where the measurements contain the models it speaks
about; verdicts use the same paired comparison as the leaderboard (`compare`).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reports import fmt
from reports.curves import Crossover
from reports.ranking import Row
from reports.recommend import Recommendation
from reports.significance import Comparison
from reports.usable import (
    bilm_unconverged,
    has_bilm,
    is_classical,
    is_usable,
    markers,
    not_usable_text,
    p_text,
)

Compare = Callable[[Row, Row], Comparison]
RUNTIME_LABEL = {"onnx": "ONNX Runtime (float)", "onnx_q8": "ONNX Runtime int8",
                 "torch": "PyTorch eager"}


@dataclass(frozen=True)
class QuantRow:
    variant: str
    base: str
    runtime: str
    delta: float | None  # variant - base, points (mean over seeds)
    delta_sd: float | None  # sd of the per-seed differences (paired by seed)
    comparison: Comparison
    p50: tuple[float | None, float | None]  # (base, variant)
    p90: tuple[float | None, float | None]
    size: tuple[float | None, float | None]
    speedup: float | None  # base p90 / variant p90
    verdict: str


def _per_seed(row: Row) -> dict[str, float]:
    by_run = dict(zip(row.run_ids, row.seeds))
    return {by_run[run]: score for run, score in row.run_scores.items() if run in by_run}


def _paired_delta(base: Row, variant: Row) -> tuple[float | None, float | None]:
    b, v = _per_seed(base), _per_seed(variant)
    diffs = [v[s] - b[s] for s in sorted(set(b) & set(v))]
    if not diffs:
        return None, None
    mean = sum(diffs) / len(diffs)
    sd = (sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1)) ** 0.5 if len(diffs) > 1 \
        else None
    return mean, sd


def _quant_verdict(delta: float | None, comparison: Comparison, speedup: float | None) -> str:
    if speedup is None:
        speed = "latency not measured"
    elif speedup < 1.05:
        speed = "no latency gain" if speedup > 0.95 else f"slower ({fmt.ratio(speedup)})"
    else:
        speed = f"{fmt.ratio(speedup)} faster at p90"
    if delta is None:
        cost = "quality not measured"
    elif comparison.significant and delta < 0:
        cost = f"costs {fmt.points(-delta)} points (significant)"
    elif comparison.significant is False:
        cost = f"no significant quality change ({fmt.signed(delta)} points)"
    else:
        cost = f"quality {fmt.signed(delta)} points (not tested)"
    return f"{speed}; {cost}"


def quantization_by_size(by_size: Mapping[int, Sequence[Row]],
                         compare: Compare) -> list[QuantRow]:
    """Each runtime variant against its float twin at the largest size where both were
    measured (a profile may run a costly model and its twins at a smaller size only)."""
    seen: dict[str, QuantRow] = {}
    largest = max(by_size, default=None)
    for n in sorted(by_size, reverse=True):
        for q in quantization(by_size[n], compare):
            if q.variant not in seen:
                seen[q.variant] = q if n == largest else dataclasses.replace(
                    q, verdict=f"{q.verdict} (at {fmt.count(n)} examples)")
    return sorted(seen.values(), key=lambda q: (q.base, q.runtime))


def quantization(rows: Sequence[Row], compare: Compare) -> list[QuantRow]:
    """Each runtime variant against its float twin measured at the same size."""
    by_model = {r.model: r for r in rows}
    out = []
    for row in rows:
        base = by_model.get(row.base or "")
        if row.runtime == "torch" or base is None:
            continue
        delta, delta_sd = _paired_delta(base, row)
        comparison = compare(base, row)
        speedup = (base.latency_p90 / row.latency_p90
                   if base.latency_p90 and row.latency_p90 else None)
        out.append(QuantRow(row.model, base.model, row.runtime, delta, delta_sd, comparison,
                            (base.latency_p50, row.latency_p50),
                            (base.latency_p90, row.latency_p90),
                            (base.size_bytes, row.size_bytes), speedup,
                            _quant_verdict(delta, comparison, speedup)))
    return sorted(out, key=lambda q: (q.base, q.runtime))


@dataclass(frozen=True)
class Advice:
    claim: str
    verdict: str  # agrees | disagrees | inconclusive
    evidence: str
    reason: str = ""  # why inconclusive ("" otherwise)

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


def versus(compare: Compare, better: Row, worse: Row, metric: str) -> tuple[int | None, str]:
    """+1: `better` is significantly ahead; 0: no significant difference; -1: behind;
    None: the difference could not be tested. The text carries the effect size and its CI."""
    result = compare(better, worse)
    gap = better.q(metric) - worse.q(metric)
    text = (f"{better.model} {marked(better, metric)} vs {worse.model} "
            f"{marked(worse, metric)} at {fmt.count(better.n_train)} examples")
    if result.significant is None:
        return None, text + " (untested)"
    if not result.significant:
        return 0, text + f" (no significant difference: {effect(result)})"
    return (1 if gap > 0 else -1), text + f" ({effect(result)})"


def _verdict(scores: Sequence[int | None]) -> tuple[str, str]:
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
    if not pairs:
        return None
    blocked = needs([r for pair in pairs for r in pair])
    results = [versus(compare, a, b, metric) for a, b in pairs]
    evidence = "; ".join(t for _, t in results) + "."
    if blocked:
        return _inconclusive(claim, blocked, evidence)
    verdict, reason = _verdict([s for s, _ in results])
    return Advice(claim, verdict, evidence, reason)


# The textbook claims that compare a model with its one-property twin (zoo.model_catalog.Twins,
# read from the run tags): (claim, twin kind, tasks it applies to; None = every task).
TWIN_CLAIMS = (("Bidirectional encoders beat unidirectional ones.", "unidirectional", None),
               ("A CRF output layer improves NER.", "no_crf", ("ner",)),
               ("Bigger models are better.", "small", None))


def _twin_pairs(rows: Sequence[Row], metric: str, twin: str) -> list[tuple[Row, Row]]:
    """(row, its `twin`) for torch models whose twin of that kind is measured in `rows`."""
    by_model = {r.model: r for r in rows if r.q(metric) is not None}
    out = []
    for row in rows:
        other = row.twins.get(twin)
        if row.model in by_model and other in by_model and row.runtime == "torch":
            out.append((row, by_model[other]))
    return out


def _floor(row: Row) -> bool:
    return bool(row.usability and row.usability.floor)


def best_pair(claim: str, ours: Sequence[Row], theirs: Sequence[Row], compare: Compare,
              metric: str) -> Advice:
    """The best of `ours` against the best of `theirs`; inconclusive when a model that
    leads its side (or would, by mean) is not usable."""
    a = max(ours, key=lambda r: r.q(metric))
    b = max(theirs, key=lambda r: r.q(metric))
    return pairs_claim(claim, [(a, b)], compare, metric)


ELMO_CLAIM = "Contextual embeddings (ELMo) are the choice for small data."


def _elmo_claim(full: Sequence[Row], small: Sequence[Row], compare: Compare,
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
    return _inconclusive(ELMO_CLAIM, "biLM not converged",
                         versus(compare, a, b, metric)[1] + ".")


def _realtime_claim(full: Sequence[Row], quant: Sequence[QuantRow],
                    recs: Sequence[Recommendation]) -> Advice | None:
    """"Quantized LSTM for real time": does an int8 variant win the tightest budget?"""
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
    if blocked and tight.model not in names:
        return _inconclusive(claim, blocked, f"{tight.scenario}: {tight.model}. "
                             f"Int8 against float: {gains}.")
    verdict = "agrees" if tight.model in names else "disagrees"
    return Advice(claim, verdict, f"{tight.scenario}: {tight.model}. Int8 against float: {gains}.")


def _linear_claim(full: Sequence[Row], small: Sequence[Row], compare: Compare,
                  metric: str) -> Advice | None:
    linear = [r for r in small if r.family == "tfidf" and r.q(metric) is not None]
    neural = [r for r in small if r.family != "tfidf" and r.runtime == "torch"
              and not is_classical(r.family, model=r.model) and r.q(metric) is not None]
    if linear and neural and len({r.n_train for r in (*small, *full)}) > 1:
        return best_pair("With little labelled data a linear TF-IDF model beats neural "
                          "networks.", linear, neural, compare, metric)
    return None


def _transformer_claim(full: Sequence[Row], small: Sequence[Row],
                       crossings: Sequence[Crossover]) -> Advice | None:
    transformer = [r for r in full if "transformer" in r.family.lower()]
    recurrent = [r for r in full if r.family.lower() in ("lstm", "bilstm", "gru")]
    if not (transformer and recurrent and len({r.n_train for r in (*small, *full)}) > 1):
        return None
    claim = "Transformers need more data than LSTMs."
    ok_t = {r.model for r in transformer if is_usable(r)}
    ok_r = {r.model for r in recurrent if is_usable(r)}
    hungry = [c for c in crossings if c.large_data_winner in ok_t
              and c.small_data_winner in ok_r and not c.within_noise]
    text = ("; ".join(f"below ~{fmt.count(c.at)} examples {c.small_data_winner} beats "
                      f"{c.large_data_winner}" for c in hungry)
            or "no crossover where a recurrent model leads with less data")
    blocked = needs([*transformer, *recurrent])
    if hungry:
        return Advice(claim, "agrees", text + ".")
    if blocked:
        return _inconclusive(claim, f"no crossover among usable models ({blocked})", text + ".")
    return Advice(claim, "disagrees", text + ".")


def _pretrained_claim(full: Sequence[Row], small: Sequence[Row], compare: Compare,
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


def textbook(task: str, metric: str, full: Sequence[Row], small: Sequence[Row],
             compare: Compare, quant: Sequence[QuantRow], recs: Sequence[Recommendation],
             crossings: Sequence[Crossover]) -> list[Advice]:
    """Each claim ends as agrees / disagrees / inconclusive (with the reason). A claim is
    inconclusive whenever a model it needs is not usable (unconverged, time-capped, at the
    floor). The floor models are never evidence for or against a claim."""
    full = [r for r in full if not _floor(r)]
    small = [r for r in small if not _floor(r)]
    pretrained = _pretrained_claim(full, small, compare, metric)
    # The textbook claims below speak of models that learn from the benchmark's data only.
    full = [r for r in full if not r.pretrained]
    small = [r for r in small if not r.pretrained]
    out = [pretrained, _elmo_claim(full, small, compare, metric),
           _realtime_claim(full, quant, recs)]
    out += [pairs_claim(claim, _twin_pairs(full, metric, twin), compare, metric)
            for claim, twin, tasks in TWIN_CLAIMS if tasks is None or task in tasks]
    out += [_linear_claim(full, small, compare, metric),
            _transformer_claim(full, small, crossings)]
    return [a for a in out if a is not None]
