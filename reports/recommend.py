"""Recommendations for scenarios a user recognizes, and the decision tree: pure functions.

Every recommendation names the numbers it rests on. Latency budgets are p90 batch-1
milliseconds on the machine the section was measured on.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from reports import fmt
from reports.ranking import Row, representative_run, tie_group, within_points
from reports.usable import is_usable, not_usable_text

BUDGETS_MS = (1.0, 5.0, 20.0)
WITHIN_POINTS = 1.0
# What the report's "Use a recommended model" snippet feeds a registered model of each task
# (plain text: no quotes, so it fits the curl line's JSON inside single quotes).
EXAMPLE_INPUT = {"sentiment": "a gripping, funny film",
                 "ner": "Ada Lovelace met Charles Babbage in London",
                 "translation": "the cat is sleeping on the sofa"}


def example_input(task: str) -> str:
    return EXAMPLE_INPUT.get(task, EXAMPLE_INPUT["sentiment"])


def budget_alias(budget: float) -> str:
    """'best-under-5ms' (a registry alias: letters, digits, '-' and '_' only)."""
    text = f"{budget:g}".replace(".", "p")
    return f"best-under-{text}ms"


@dataclass(frozen=True)
class Recommendation:
    alias: str  # the registry alias of this scenario, e.g. best-under-5ms
    scenario: str
    model: str | None  # None: nothing qualifies
    run_id: str | None  # the seed run to register (closest to the mean)
    n_train: int | None
    evidence: str  # the numbers it rests on, one or two sentences
    alternatives: tuple[str, ...] = ()  # statistically tied models


def describe(row: Row, metric: str, *, speed: bool = True, size: bool = False) -> str:
    """'bilstm_small (accuracy 78.3 ± 0.4 % over 3 seeds, 95% CI 76.1–80.4; p90 2.14 ms)'."""
    stat = row.quality.get(metric)
    seeds = f" over {len(row.seeds)} seeds" if len(row.seeds) > 1 else " (1 seed)"
    parts = [fmt.quality(stat, metric) + seeds + (f", 95% CI {fmt.ci(stat)}"
                                                  if fmt.ci(stat) != fmt.DASH else "")]
    if speed:
        parts.append(f"p90 {fmt.ms(row.latency_p90)} ms")
    if size:
        parts.append(f"{fmt.size(row.size_bytes)} on disk, {fmt.si(row.params)} parameters")
    return f"{row.model} ({'; '.join(parts)})"


def _tied(rows: Sequence[Row], model: str) -> tuple[str, ...]:
    return tuple(r.model for r in tie_group(rows, model) if r.model != model)


def _tie_note(rows: Sequence[Row], model: str) -> str:
    tied = _tied(rows, model)
    if not tied:
        return ""
    return f" Statistically tied with {', '.join(tied)}."


def usable_rows(rows: Sequence[Row]) -> list[Row]:
    """Only usable evidence decides: converged and significantly above the floor."""
    return [r for r in rows if is_usable(r)]


def nothing_usable(rows: Sequence[Row], metric: str, where: str = "") -> str:
    """'No converged model above the floor on wnut16 (lstm_small time-capped; ...).'"""
    left = [r for r in rows if not is_usable(r) and r.q(metric) is not None
            and not (r.usability and r.usability.floor)]
    why = "; ".join(not_usable_text(r) for r in left[:4]) + ("; …" if len(left) > 4 else "")
    return (f"No converged model above the floor{f' on {where}' if where else ''}"
            + (f" ({why})." if why else "."))


def best_usable(rows: Sequence[Row], metric: str) -> Row | None:
    """The usable row with the highest mean (ties: the faster, then by name)."""
    return _best(rows, metric)


def _best(rows: Sequence[Row], metric: str) -> Row | None:
    ranked = [r for r in usable_rows(rows) if r.q(metric) is not None]
    return max(ranked, key=lambda r: (r.q(metric), -(r.latency_p90 or 0), r.model),
               default=None)


def best_quality(rows: Sequence[Row], metric: str, where: str = "") -> Recommendation:
    best = _best(rows, metric)
    scenario = "Best quality, no constraint"
    if best is None:
        if any(r.q(metric) is not None for r in rows):
            return Recommendation("best-quality", scenario, None, None, None,
                                  nothing_usable(rows, metric, where))
        return Recommendation("best-quality", scenario, None, None, None,
                              "No model has a quality value at this size.")
    tied = [r for r in tie_group(rows, best.model) if r.latency_p90 is not None]
    text = f"{describe(best, metric)} has the highest mean at {fmt.count(best.n_train)} " \
           f"training examples.{_tie_note(rows, best.model)}"
    fastest = min(tied, key=lambda r: r.latency_p90, default=None)
    if fastest and fastest.model != best.model:
        text += (f" Of the tied models {fastest.model} is the fastest "
                 f"(p90 {fmt.ms(fastest.latency_p90)} ms).")
    return Recommendation("best-quality", scenario, best.model, representative_run(best),
                          best.n_train, text, _tied(rows, best.model))


def under_budget(rows: Sequence[Row], metric: str, budget: float,
                 where: str = "") -> Recommendation:
    scenario = f"Best under {budget:g} ms p90 (batch 1)"
    measured = [r for r in rows if r.latency_p90 is not None and r.q(metric) is not None]
    timed = usable_rows(measured)
    fits = [r for r in timed if r.latency_p90 <= budget]
    alias = budget_alias(budget)
    if not measured:
        return Recommendation(alias, scenario, None, None, None, "No latency was measured.")
    if not timed:
        return Recommendation(alias, scenario, None, None, None,
                              nothing_usable(rows, metric, where))
    if not fits:
        fastest = min(timed, key=lambda r: r.latency_p90)
        return Recommendation(alias, scenario, None, None, None,
                              f"No model above the floor fits {budget:g} ms p90 on this "
                              f"machine; the fastest usable one needs "
                              f"{fmt.ms(fastest.latency_p90)} ms: {describe(fastest, metric)}.")
    pick = _best(fits, metric)
    overall = _best(timed, metric)
    text = f"{describe(pick, metric)}."
    if overall.model == pick.model:
        text += " It is also the most accurate model overall."
    else:
        gap = overall.q(metric) - pick.q(metric)
        tied = pick.model in {r.model for r in tie_group(rows, overall.model)}
        text += (f" The most accurate model, {overall.model}, needs p90 "
                 f"{fmt.ms(overall.latency_p90)} ms; the budget costs {fmt.points(gap)} points"
                 + (" (not a significant difference)." if tied else "."))
    return Recommendation(alias, scenario, pick.model, representative_run(pick), pick.n_train,
                          text, _tied(rows, pick.model))


def data_size(small: Sequence[Row], full: Sequence[Row], metric: str, where: str = "",
              ) -> tuple[Recommendation, Recommendation]:
    """(best with the smallest measured training set, best with all data)."""
    full_best = _best(full, metric)
    n_full = full_best.n_train if full_best else None
    all_scenario = f"Best with all data ({fmt.count(n_full)} examples)"
    all_rec = Recommendation("best-all-data", all_scenario, None, None, None,
                             nothing_usable(full, metric, where)
                             if any(r.q(metric) is not None for r in full)
                             else "No model has a quality value.")
    if full_best:
        all_rec = Recommendation(
            "best-all-data", all_scenario, full_best.model, representative_run(full_best),
            n_full, f"{describe(full_best, metric, speed=False)}.{_tie_note(full, full_best.model)}",
            _tied(full, full_best.model))
    small_best = _best(small, metric)
    small_n = {r.n_train for r in small} - {n_full, None}
    if small_best is None and small_n and any(r.q(metric) is not None for r in small):
        return Recommendation("best-small-data", "Best with little data", None, None, None,
                              nothing_usable(small, metric, where)), all_rec
    if small_best is None or small_best.n_train == n_full:
        return Recommendation("best-small-data", "Best with little data", None, None, None,
                              "Only one training-set size was measured, so there is no "
                              "small-data advice."), all_rec
    text = (f"With {fmt.count(small_best.n_train)} labelled examples (the smallest measured "
            f"size) {describe(small_best, metric, speed=False)} leads."
            f"{_tie_note(small, small_best.model)}")
    if full_best and full_best.model != small_best.model:
        text += f" With all data {full_best.model} leads instead."
    return Recommendation(
        "best-small-data", f"Best with little data ({fmt.count(small_best.n_train)} examples)",
        small_best.model, representative_run(small_best), small_best.n_train, text,
        _tied(small, small_best.model)), all_rec


def smallest_within(rows: Sequence[Row], metric: str,
                    points: float = WITHIN_POINTS, where: str = "") -> Recommendation:
    unit = "point" if points == 1 else "points"
    scenario = f"Smallest model within {points:g} {unit} of the best"
    alias = f"smallest-within-{points:g}pt".replace(".", "p")
    best = _best(rows, metric)
    close = [r for r in within_points(usable_rows(rows), metric, points)
             if r.size_bytes is not None]
    if best is None and any(r.q(metric) is not None for r in rows):
        return Recommendation(alias, scenario, None, None, None,
                              nothing_usable(rows, metric, where))
    if best is None or not close:
        return Recommendation(alias, scenario, None, None, None, "No size on disk was logged.")
    pick = min(close, key=lambda r: (r.size_bytes, r.params or 0, -r.q(metric), r.model))
    if pick.model == best.model:
        text = f"{describe(pick, metric, speed=False, size=True)} is both the best and the " \
               f"smallest of the models within {points:g} point(s)."
    else:
        factor = best.size_bytes / pick.size_bytes if best.size_bytes and pick.size_bytes else None
        text = (f"{describe(pick, metric, speed=False, size=True)} is "
                f"{fmt.signed(pick.q(metric) - best.q(metric))} points from the best, "
                f"{best.model}, which is {fmt.size(best.size_bytes)}"
                + (f" ({fmt.ratio(factor)} larger)." if factor and factor >= 1.05 else "."))
    return Recommendation(alias, scenario, pick.model, representative_run(pick), pick.n_train,
                          text)


def recommendations(full: Sequence[Row], small: Sequence[Row], metric: str,
                    budgets: Sequence[float] = BUDGETS_MS, where: str = "",
                    ) -> list[Recommendation]:
    """Every pick comes from usable rows only; where none qualifies the card says why."""
    little, everything = data_size(small, full, metric, where)
    return [best_quality(full, metric, where),
            *(under_budget(full, metric, b, where) for b in budgets),
            little, everything, smallest_within(full, metric, where=where)]


GLANCE_LABELS = {"best-quality": "Best quality", "best-small-data": "Little data",
                 "best-all-data": "All data"}


def glance_label(alias: str) -> str:
    """A column header that holds for every task: 'Best quality', 'p90 ≤ 5 ms'..."""
    if alias in GLANCE_LABELS:
        return GLANCE_LABELS[alias]
    if alias.startswith("best-under-"):
        return f"p90 ≤ {alias[len('best-under-'):-2].replace('p', '.')} ms"
    if alias.startswith("smallest-within-"):
        return f"Smallest within {alias[len('smallest-within-'):-2].replace('p', '.')} pt"
    return alias


# ---- decision tree: task -> data size -> latency budget -> model ---------------------------

@dataclass(frozen=True)
class Leaf:
    budgets: tuple[float | None, ...]  # None: no latency limit
    model: str | None
    quality: float | None
    p90: float | None
    note: str = ""
    seeds: int = 0  # of the pick: 1 gets a "1 seed" marker
    every: bool = False  # one pick for every budget of the tree and for none

    @property
    def label(self) -> str:
        """'p90 ≤ 5 ms', 'p90 budget 5 to 20 ms', 'p90 budget ≥ 5 ms or none', 'any budget'."""
        limits = [b for b in self.budgets if b is not None]
        open_ended = None in self.budgets
        if not limits:
            return "no latency limit"
        if open_ended:
            return "any latency budget" if self.every else f"p90 budget ≥ {limits[0]:g} ms or none"
        if len(limits) == 1:
            return f"p90 ≤ {limits[0]:g} ms"
        return f"p90 budget {limits[0]:g} to {limits[-1]:g} ms"


@dataclass(frozen=True)
class Branch:
    label: str  # e.g. "2,000–8,000 labelled examples"
    n_train: int  # the size whose measurements apply
    leaves: tuple[Leaf, ...]


def _leaf(rows: Sequence[Row], metric: str, budget: float | None) -> Leaf:
    good = [r for r in usable_rows(rows) if r.q(metric) is not None]
    if budget is None:
        fits = good
    else:
        fits = [r for r in good if r.latency_p90 is not None and r.latency_p90 <= budget]
    pick = _best(fits, metric)
    if pick is None:
        if not good:
            return Leaf((budget,), None, None, None, "no converged model above the floor")
        timed = [r for r in good if r.latency_p90 is not None]
        fastest = min(timed, key=lambda r: r.latency_p90, default=None)
        note = (f"no usable model fits; the fastest usable one, {fastest.model}, needs "
                f"{fmt.ms(fastest.latency_p90)} ms") if fastest else "no latency measured"
        return Leaf((budget,), None, None, None, note)
    return Leaf((budget,), pick.model, pick.q(metric), pick.latency_p90,
                seeds=len(pick.seeds))


def _merge(leaves: Sequence[Leaf]) -> tuple[Leaf, ...]:
    out: list[Leaf] = []
    for leaf in leaves:
        if out and out[-1].model == leaf.model and leaf.model is not None:
            prev = out[-1]
            # The looser budget's pick is the same model: one leaf covers both budgets.
            out[-1] = Leaf(prev.budgets + leaf.budgets, prev.model, prev.quality, prev.p90,
                           seeds=prev.seeds)
        else:
            out.append(leaf)
    return tuple(out)


def size_label(sizes: Sequence[int], i: int) -> str:
    if len(sizes) == 1:
        return f"any amount of labelled data (only {fmt.count(sizes[0])} measured)"
    if i == 0:
        return f"fewer than {fmt.count(sizes[1])} labelled examples"
    if i == len(sizes) - 1:
        return f"{fmt.count(sizes[i])} or more labelled examples"
    return f"{fmt.count(sizes[i])} to {fmt.count(sizes[i + 1])} labelled examples"


def decision_branches(rows_by_size: dict[int, Sequence[Row]], metric: str,
                      budgets: Sequence[float] = BUDGETS_MS) -> list[Branch]:
    """One branch per measured size (the measurements of the nearest size below apply)."""
    sizes = sorted(rows_by_size)
    out = []
    for i, n in enumerate(sizes):
        leaves = _merge([_leaf(rows_by_size[n], metric, b) for b in (*budgets, None)])
        if len(leaves) == 1 and leaves[0].model is not None:
            leaves = (replace(leaves[0], every=True),)
        out.append(Branch(size_label(sizes, i), n, leaves))
    return out
