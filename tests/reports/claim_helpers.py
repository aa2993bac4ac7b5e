"""Run the declared claims on hand-made rows, as the report does for one section."""
from __future__ import annotations

from collections.abc import Sequence

from reports import curves
from reports.advice import Advice, Compare
from reports.claims import CLAIMS, ReportEvidence, SectionEvidence, evaluate
from reports.ranking import Row


def section(task: str, metric: str, full: Sequence[Row], small: Sequence[Row],
            compare: Compare, quant=(), recs=()) -> SectionEvidence:
    """One section whose smallest size holds `small` and largest `full` (one size when
    they share a size); its crossovers are found as the report finds them."""
    by_size = {}
    for rows in (small, full):
        if rows:
            by_size[rows[0].n_train] = list(rows)
    found = curves.crossovers(by_size, compare, metric)
    return SectionEvidence(task, "ds", metric, by_size, list(full), compare, quant, recs, found)


def textbook(task: str, metric: str, full: Sequence[Row], small: Sequence[Row],
             compare: Compare, quant=(), recs=()) -> dict[str, Advice]:
    """statement tested -> its advice, for every claim this section could test."""
    rows = evaluate(CLAIMS, ReportEvidence([section(task, metric, full, small, compare, quant,
                                                    recs)]))
    return {r.advice.claim: r.advice for r in rows if r.where != "–"}


def mk(model: str, family: str, q: float, n: int = 1000, metric: str = "accuracy",
       seeds: int = 1, **kw) -> Row:
    """A hand-made leaderboard row of `model` (its family given, never read off the name)."""
    from reports.ranking import Stat

    ids = tuple(f"{model}-{n}-{s}" for s in range(1, seeds + 1))
    return Row(model=model, family=family, runtime=kw.pop("runtime", "torch"),
               base=kw.pop("base", None),
               n_train=n, seeds=tuple(str(s) for s in range(1, seeds + 1)), run_ids=ids,
               quality={metric: Stat(q, None, seeds, q - 2, q + 2)},
               run_scores={i: q for i in ids}, **kw)


def by_gap(gap: float, metric: str = "accuracy") -> Compare:
    """A stand-in for the leaderboard's test: significant beyond `gap` points, with a CI of
    the difference of ± `gap` as a paired bootstrap reports it."""
    from reports.significance import Comparison

    def compare(a: Row, b: Row) -> Comparison:
        diff = a.q(metric) - b.q(metric)
        return Comparison(abs(diff) > gap, diff, 0.01 if abs(diff) > gap else 0.5,
                          (diff - gap, diff + gap), "paired bootstrap")
    return compare
