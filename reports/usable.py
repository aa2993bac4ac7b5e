"""Which measurements may decide anything: pure functions, no I/O.

A row (one model at one training size in one section) is *usable* when every seed run of it
converged AND it is significantly above its task's trivial floor model (majority class,
all-O, copy-source) under the leaderboard's own comparison. Only usable rows rank first, get
recommended, get registered or settle a textbook claim; the others are shown, labelled.

Stop reasons come from the cell's tags `zoo.stop_reason` (early_stopped | epoch_cap |
time_cap | fitted) and `zoo.converged` ("true" | "false"). Older runs have neither: a
classical model (fit in closed form or to convergence by its solver: TF-IDF, feature CRF,
lexical, the floors) counts as converged ("fitted"); a neural one is "unknown", not
converged.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reports.significance import Comparison
from zoo.tracking import schema

FLOOR_FAMILY = "floor"
# Families of classical models, for a model the zoo's catalog does not know (a removed or
# synthetic one) and whose run has no `model_kind` tag: no epochs, no caps.
CLASSICAL_FAMILIES = frozenset({"tfidf", "feature_crf", "lexical", FLOOR_FAMILY})
STOP_REASONS = ("early_stopped", "fitted", "schedule_end", "epoch_cap", "time_cap", "unknown")
# Worst first: a row of several seeds reports its worst seed's stop reason.
_SEVERITY = {"time_cap": 0, "unknown": 1, "epoch_cap": 2, "schedule_end": 3,
             "early_stopped": 4, "fitted": 5}


def _metadata(model: str, tags: Mapping[str, str] | None) -> Mapping[str, str]:
    from reports.runs import model_tags  # the run's own tags over the catalog's entry

    return model_tags(model, tags or {}) if model else (tags or {})


def is_floor(model: str, family: str | None = None, tags: Mapping[str, str] | None = None,
             ) -> bool:
    """The one place that decides whether a model is a task's trivial floor: its metadata
    (the run's `zoo.floor` tag, else the catalog entry's), never its name."""
    flag = str(_metadata(model, tags).get(schema.FLOOR, "")).lower()
    if flag:
        return flag == "true"
    return (family or "").lower() == FLOOR_FAMILY


def is_classical(family: str, tags: Mapping[str, str] | None = None, model: str = "") -> bool:
    """The run's `model_kind` tag (zoo.model_catalog.ModelEntry.tags logs it), else the
    catalog entry's, else (neither knows the model) its family."""
    kind = _metadata(model, tags).get(schema.MODEL_KIND)
    if kind:
        return kind == schema.MODEL_KIND_CLASSICAL
    return family.lower() in CLASSICAL_FAMILIES


@dataclass(frozen=True)
class RunStop:
    """Why one cell run stopped training."""

    stop_reason: str  # one of STOP_REASONS
    converged: bool
    still_improving: bool | None = None  # at the epoch cap: was dev still rising?


def run_stop(model: str, family: str, tags: Mapping[str, str],
             metrics: Mapping[str, float]) -> RunStop:
    reason = str(tags.get(schema.STOP_REASON, "")).strip()
    conv = str(tags.get(schema.CONVERGED, "")).strip().lower()
    raw = metrics.get(schema.TRAIN_STILL_IMPROVING)
    improving = None if raw is None else bool(float(raw))
    if not reason and not conv:  # an old run, from before stop reasons were logged
        if is_classical(family, tags, model) or is_floor(model, family, tags):
            return RunStop("fitted", True, None)
        return RunStop("unknown", False, improving)
    reason = reason if reason in STOP_REASONS else "unknown"
    converged = conv == "true" if conv else reason in ("early_stopped", "fitted",
                                                       "schedule_end")
    if reason == "time_cap":
        converged = False  # a wall-clock cap is a safety net, never convergence
    if reason == "epoch_cap" and improving:
        converged = False
    return RunStop(reason, converged, improving)


@dataclass(frozen=True)
class Usability:
    """A row's stop state and whether it may decide anything."""

    stop_reason: str  # the worst of its seeds'
    converged: bool  # every seed converged
    n_seeds: int
    n_time_capped: int = 0
    still_improving: bool = False
    floor: bool = False  # this row is the floor
    above_floor: bool | None = None  # None: no floor measured, or not testable
    floor_p: float | None = None
    floor_basis: str = "none"
    usable: bool = False
    reason: str = ""  # why not usable ("" when usable)
    # "at" or "below": a converged row that did not beat the floor; "" otherwise. The badge
    # and at_floor read it rather than the wording of `reason`.
    versus_floor_place: str = ""

    @property
    def badge(self) -> str:
        """The short label on the leaderboard row."""
        if self.floor:
            return "floor"
        if self.stop_reason == "time_cap":
            return "time-capped"
        if self.stop_reason == "epoch_cap" and not self.converged:
            return "epoch cap, still improving" if self.still_improving else "epoch cap"
        if not self.converged:
            return "stop reason unknown" if self.stop_reason == "unknown" else "not converged"
        if self.above_floor is False:
            return "below the floor" if self.versus_floor_place == "below" else "at the floor"
        return "schedule ended" if self.stop_reason == "schedule_end" else "converged"

    @property
    def time_capped(self) -> bool:
        return self.n_time_capped > 0

    @property
    def one_seed(self) -> bool:
        return self.n_seeds == 1


def combine(stops: Iterable[RunStop]) -> tuple[str, bool, int, int, bool]:
    """(worst stop reason, all converged, seeds, time-capped seeds, any still improving)."""
    stops = list(stops)
    if not stops:
        return "unknown", False, 0, 0, False
    worst = min(stops, key=lambda s: _SEVERITY.get(s.stop_reason, 1)).stop_reason
    return (worst, all(s.converged for s in stops), len(stops),
            sum(s.stop_reason == "time_cap" for s in stops),
            any(bool(s.still_improving) for s in stops))


def assess(stops: Iterable[RunStop], *, floor: bool,
           versus_floor: Comparison | None) -> Usability:
    """The usable rule. `versus_floor` compares this row (ref) with the floor row (other);
    None when the section has no floor run."""
    worst, converged, n, capped, improving = combine(stops)
    base = dict(stop_reason=worst, converged=converged, n_seeds=n, n_time_capped=capped,
                still_improving=improving, floor=floor)
    if floor:
        return Usability(**base, reason="is the floor")
    above, p, basis = None, None, "none"
    if versus_floor is not None:
        p, basis = versus_floor.p_value, versus_floor.basis
        if versus_floor.significant is not None and versus_floor.diff is not None:
            above = bool(versus_floor.significant and versus_floor.diff > 0)
    base.update(above_floor=above, floor_p=p, floor_basis=basis)
    if worst == "time_cap":
        seeds = f" ({capped} of {n} seeds)" if n > 1 else ""
        return Usability(**base, reason=f"time-capped{seeds}")
    if not converged:
        if worst == "epoch_cap":
            why = "epoch cap, dev still rising" if improving else "epoch cap"
        elif worst == "unknown":
            why = "stop reason not recorded"
        else:
            why = worst.replace("_", " ")
        return Usability(**base, reason=f"not converged ({why})")
    if versus_floor is not None and above is not True:
        if above is None:
            return Usability(**base, reason="at the floor (difference untested)",
                             versus_floor_place="at")
        below = bool(versus_floor.significant and (versus_floor.diff or 0) < 0)
        place = "below" if below else "at"
        return Usability(**base, reason=f"{place} the floor ({p_text(p)})",
                         versus_floor_place=place)
    return Usability(**base, usable=True)


def p_text(p: float | None) -> str:
    if p is None:
        return "95% CIs overlap"
    return f"p={p:.3f}" if p >= 0.001 else "p<0.001"


def is_usable(row) -> bool:
    """Rows that were never assessed (hand-made in tests) count as usable."""
    status = getattr(row, "usability", None)
    return status is None or status.usable


def at_floor(row) -> bool:
    """A converged row that did not beat the floor (not the floor itself): a model that
    learned nothing the floor does not know."""
    status = getattr(row, "usability", None)
    return bool(status and not status.floor and status.converged
                and status.versus_floor_place in ("at", "below"))


def not_usable_text(row) -> str:
    """'elmo_frozen_small time-capped' for verdicts and cards."""
    status = getattr(row, "usability", None)
    return f"{row.model} {status.reason}" if status and not status.usable else row.model


def has_bilm(row) -> bool:
    """The row's model carries a biLM pretrained on the benchmark's own text (ELMo): its runs
    logged the biLM's pretraining (`Row.bilm_converged` is set), or, for rows without that
    record, its family metadata is ELMo. Never a model that starts from an outside checkpoint."""
    if getattr(row, "pretrained", ""):
        return False
    return (getattr(row, "bilm_converged", None) is not None
            or "elmo" in (getattr(row, "family", "") or "").lower())


def bilm_unconverged(row) -> bool:
    """An ELMo row whose biLM is not known to have converged (a step budget or time cap
    stopped it, or the run predates the record): its numbers never settle a claim."""
    return has_bilm(row) and getattr(row, "bilm_converged", None) is not True


def markers(row) -> list[str]:
    """The small markers shown beside every number of `row`: '1 seed', 'time-capped',
    'pretrained' (it started from a checkpoint trained on text outside the benchmark),
    'biLM not converged' (its ELMo biLM stopped on a budget, not on held-out perplexity)."""
    out = []
    if getattr(row, "pretrained", ""):
        out.append("pretrained")
    if bilm_unconverged(row):
        out.append("biLM not converged")
    status = getattr(row, "usability", None)
    if len(getattr(row, "seeds", ()) or ()) == 1:
        out.append("1 seed")
    if status and status.time_capped:
        out.append("time-capped")
    return out
