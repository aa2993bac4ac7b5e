"""Runtime twins (ONNX Runtime float / int8) against their float models: what each buys in
latency and costs in quality, paired by seed and tested as the leaderboard tests (`compare`).
Pure; the report's quantization table and the real-time claim read the rows."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reports import fmt
from reports.ranking import Row
from reports.significance import Comparison

Compare = Callable[[Row, Row], Comparison]


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
