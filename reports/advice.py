"""Quantization trade-offs and textbook advice checked against the measurements: pure.

Each textbook claim is tested only where the measurements contain the models it speaks
about; verdicts use the same paired comparison as the leaderboard (`compare`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reports import fmt
from reports.curves import Crossover
from reports.ranking import Row
from reports.recommend import Recommendation
from reports.significance import Comparison

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
    verdict: str  # agrees | disagrees | no significant difference | mixed
    evidence: str


def _versus(compare: Compare, better: Row, worse: Row, metric: str) -> tuple[int, str]:
    """+1: `better` is significantly ahead; 0: no significant difference; -1: behind."""
    result = compare(better, worse)
    gap = better.q(metric) - worse.q(metric)
    text = (f"{better.model} {fmt.points(better.q(metric))} vs {worse.model} "
            f"{fmt.points(worse.q(metric))} at {fmt.count(better.n_train)} examples")
    if result.significant is None:
        return (1 if gap > 0 else -1 if gap < 0 else 0), text + " (untested)"
    if not result.significant:
        return 0, text + " (no significant difference)"
    return (1 if gap > 0 else -1), text


def _verdict(scores: Sequence[int]) -> str:
    if all(s > 0 for s in scores):
        return "agrees"
    if all(s == 0 for s in scores):
        return "no significant difference"
    if not any(s > 0 for s in scores):
        return "disagrees"
    return "mixed"


def _pairs_claim(claim: str, pairs: Sequence[tuple[Row, Row]], compare: Compare,
                 metric: str) -> Advice | None:
    if not pairs:
        return None
    results = [_versus(compare, a, b, metric) for a, b in pairs]
    return Advice(claim, _verdict([s for s, _ in results]), "; ".join(t for _, t in results) + ".")


def _named_pairs(rows: Sequence[Row], metric: str, make_other: Callable[[str], str | None],
                 ) -> list[tuple[Row, Row]]:
    """(row, its counterpart) for torch models whose counterpart name exists in `rows`."""
    by_model = {r.model: r for r in rows if r.q(metric) is not None}
    out = []
    for row in rows:
        other = make_other(row.model)
        if row.model in by_model and other in by_model and row.runtime == "torch":
            out.append((row, by_model[other]))
    return out


def textbook(task: str, metric: str, full: Sequence[Row], small: Sequence[Row],
             compare: Compare, quant: Sequence[QuantRow], recs: Sequence[Recommendation],
             crossings: Sequence[Crossover]) -> list[Advice]:
    out: list[Advice | None] = []
    # "ELMo for small data": does a contextual-embedding model lead with the least data?
    elmo = [r for r in small if "elmo" in r.family.lower() and r.q(metric) is not None]
    others = [r for r in small if "elmo" not in r.family.lower() and r.q(metric) is not None]
    if elmo and others and small and small[0].n_train != (full[0].n_train if full else None):
        best_elmo = max(elmo, key=lambda r: r.q(metric))
        best_other = max(others, key=lambda r: r.q(metric))
        out.append(_pairs_claim("ELMo-style contextual embeddings are the choice for small "
                                "data.", [(best_elmo, best_other)], compare, metric))
    # "Quantized LSTM for real time": does an int8 variant win the tightest budget?
    q8 = [q for q in quant if q.runtime == "onnx_q8"]
    budget_recs = [r for r in recs if r.alias.startswith("best-under-") and r.model]
    if q8 and budget_recs:
        tight = budget_recs[0]
        names = {q.variant for q in q8}
        gains = "; ".join(f"{q.variant}: {q.verdict}" for q in q8)
        verdict = "agrees" if tight.model in names else "disagrees"
        out.append(Advice("A quantized (int8) LSTM is the choice for real-time use.", verdict,
                          f"{tight.scenario}: {tight.model}. Int8 against float: {gains}."))
    out.append(_pairs_claim(
        "Bidirectional encoders beat unidirectional ones.",
        _named_pairs(full, metric, lambda m: m[2:] if m.startswith("bi") else None), compare, metric))
    if task == "ner":
        out.append(_pairs_claim(
            "A CRF output layer improves NER.",
            _named_pairs(full, metric, lambda m: m.replace("_crf", "") if "_crf" in m else None),
            compare, metric))
    out.append(_pairs_claim(
        "Bigger models are better.",
        _named_pairs(full, metric, lambda m: m[:-5] + "_small" if m.endswith("_base") else None),
        compare, metric))
    linear = [r for r in small if r.family == "tfidf" and r.q(metric) is not None]
    neural = [r for r in small if r.family != "tfidf" and r.runtime == "torch"
              and r.q(metric) is not None]
    if linear and neural and len({r.n_train for r in (*small, *full)}) > 1:
        out.append(_pairs_claim(
            "With little labelled data a linear TF-IDF model beats neural networks.",
            [(max(linear, key=lambda r: r.q(metric)), max(neural, key=lambda r: r.q(metric)))],
            compare, metric))
    transformer = {r.model for r in full if "transformer" in r.family.lower()}
    recurrent = {r.model for r in full if r.family.lower() in ("lstm", "bilstm", "gru")}
    hungry = [c for c in crossings if c.large_data_winner in transformer
              and c.small_data_winner in recurrent and not c.within_noise]
    if transformer and recurrent and len({r.n_train for r in (*small, *full)}) > 1:
        text = ("; ".join(f"below ~{fmt.count(c.at)} examples {c.small_data_winner} beats "
                          f"{c.large_data_winner}" for c in hungry)
                or "no crossover where a recurrent model leads with less data")
        out.append(Advice("Transformers need more data than LSTMs.",
                          "agrees" if hungry else "disagrees", text + "."))
    return [a for a in out if a is not None]
