"""`zoo recommend`: the guide's own rules for any budget: pure functions.

A budget is a p90 latency limit (batch 1, on the machine the section was measured on), a
number of labelled examples and a size on disk, each optional. The rules are the report's
cards' (reports.recommend): usable rows only (converged, significantly above the floor), the
highest mean wins, and a difference counts only when the paired test separates the two
(rank tie groups). With a label count the rows of the largest measured size not above it
apply, as in the report's decision tree.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reports import fmt
from reports.ranking import Row, tie_group
from reports.recommend import best_usable, describe, nothing_usable, usable_rows

MB = 1_000_000


@dataclass(frozen=True)
class Budget:
    p90_ms: float | None = None
    labels: int | None = None
    max_size_mb: float | None = None

    @property
    def text(self) -> str:
        parts = [f"p90 ≤ {self.p90_ms:g} ms" if self.p90_ms is not None else "",
                 f"{self.labels:,} labelled examples" if self.labels is not None else "",
                 f"≤ {self.max_size_mb:g} MB on disk" if self.max_size_mb is not None else ""]
        return ", ".join(p for p in parts if p) or "no constraint"

    def fits(self, row: Row) -> bool:
        if self.p90_ms is not None and (row.latency_p90 is None
                                        or row.latency_p90 > self.p90_ms):
            return False
        return self.max_size_mb is None or (row.size_bytes is not None
                                            and row.size_bytes <= self.max_size_mb * MB)


@dataclass(frozen=True)
class Answer:
    budget: Budget
    n_train: int | None  # the measured training size whose rows apply
    pick: Row | None
    runner_up: Row | None
    best: Row | None  # the best usable row at that size, ignoring latency and size
    cost: float | None  # best - pick, points
    cost_significant: bool | None  # None: the pick is the best
    text: str  # the answer in words


def _group(rows: Sequence[Row], model: str) -> set[str]:
    """The models sharing `model`'s rank: not significantly different from its group head."""
    return {r.model for r in tie_group(rows, model)}


def rows_for_labels(rows_by_size: Mapping[int, Sequence[Row]], labels: int | None,
                    ) -> tuple[int | None, Sequence[Row]]:
    """(size, rows) of the largest measured size ≤ labels (all data without a count)."""
    sizes = sorted(n for n in rows_by_size if labels is None or n <= labels)
    return (sizes[-1], rows_by_size[sizes[-1]]) if sizes else (None, [])


def _why_none(rows: Sequence[Row], metric: str, budget: Budget, where: str) -> str:
    good = [r for r in usable_rows(rows) if r.q(metric) is not None]
    if not good:
        return nothing_usable(rows, metric, where)
    reasons = []
    timed = [r for r in good if r.latency_p90 is not None]
    if budget.p90_ms is not None and not any(r.latency_p90 <= budget.p90_ms for r in timed):
        fastest = min(timed, key=lambda r: r.latency_p90, default=None)
        reasons.append(f"the fastest usable model, {fastest.model}, needs p90 "
                       f"{fmt.ms(fastest.latency_p90)} ms" if fastest else "no latency measured")
    sized = [r for r in good if r.size_bytes is not None]
    if budget.max_size_mb is not None and not any(r.size_bytes <= budget.max_size_mb * MB
                                                  for r in sized):
        smallest = min(sized, key=lambda r: r.size_bytes, default=None)
        reasons.append(f"the smallest usable model, {smallest.model}, is "
                       f"{fmt.size(smallest.size_bytes)}" if smallest else "no size logged")
    why = "; ".join(reasons) or "no usable model meets both limits at once"
    return f"No usable model fits {budget.text}: {why}."


def answer(rows_by_size: Mapping[int, Sequence[Row]], metric: str, budget: Budget,
           where: str = "") -> Answer:
    """The pick for `budget` with its runner-up and what the budget costs."""
    n, rows = rows_for_labels(rows_by_size, budget.labels)
    if n is None:
        smallest = min(rows_by_size, default=None)
        text = (f"No measurement applies to {budget.labels:,} labelled examples: the smallest "
                f"measured training size is {fmt.count(smallest)}." if smallest else
                "Nothing was measured.")
        return Answer(budget, None, None, None, None, None, None, text)
    best = best_usable(rows, metric)
    fits = [r for r in usable_rows(rows) if budget.fits(r)]
    pick = best_usable(fits, metric)
    if pick is None:
        return Answer(budget, n, None, None, best, None, None,
                      _why_none(rows, metric, budget, where))
    runner_up = best_usable([r for r in fits if r.model != pick.model], metric)
    sized = budget.max_size_mb is not None  # then each model's size is part of the answer
    text = f"{describe(pick, metric, size=sized)} at {fmt.count(n)} training examples."
    if runner_up is not None:
        same = runner_up.model in _group(rows, pick.model)
        text += (f" Runner-up: {describe(runner_up, metric, size=sized)}"
                 + (", sharing the pick's rank (no detectable difference)." if same else "."))
    if best.model == pick.model:
        return Answer(budget, n, pick, runner_up, best, 0.0, None,
                      text + " It is also the best usable model without the budget.")
    cost = best.q(metric) - pick.q(metric)
    significant = pick.model not in _group(rows, best.model)
    text += (f" Without the budget {describe(best, metric, size=True)} leads; the budget "
             f"costs {fmt.points(cost)} points"
             + ("." if significant else " (not a significant difference)."))
    return Answer(budget, n, pick, runner_up, best, cost, significant, text)


def answer_json(ans: Answer, metric: str) -> dict:
    """The answer as plain data (`zoo recommend --json`)."""
    def row(r: Row | None) -> dict | None:
        if r is None:
            return None
        stat = r.quality.get(metric)
        return {"model": r.model, "metric": metric, "score": r.q(metric),
                "ci": list(stat.ci) if stat and stat.ci_low is not None else None,
                "seeds": len(r.seeds), "p90_ms": r.latency_p90, "size_bytes": r.size_bytes,
                "rank": r.rank}

    return {"budget": {"p90_ms": ans.budget.p90_ms, "labels": ans.budget.labels,
                       "max_size_mb": ans.budget.max_size_mb},
            "train_examples": ans.n_train, "pick": row(ans.pick),
            "runner_up": row(ans.runner_up), "unconstrained_best": row(ans.best),
            "cost_points": ans.cost, "cost_significant": ans.cost_significant,
            "text": ans.text}
