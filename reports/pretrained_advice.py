"""Textbook advice about pretrained encoders, checked per dataset: pure functions.

- CLAIMS.md claim 5, "small data: freeze the pretrained encoder (ELMo); large data:
  fine-tune it": each frozen model against its fine-tuned twin (`Row.twins["finetuned"]`,
  from the run tags) at every measured size.
- CLAIMS.md claims 3/4, a pretrained contextual encoder for small data: at the smallest size
  the frozen pretrained encoder against the best model trained from scratch (the ELMo half is
  `reports.advice.elmo_claim`, under the same rules).

Every comparison is the leaderboard's own (`compare`: paired bootstrap over test examples,
else CI overlap) and is stated with its effect size and the 95% CI of the difference. A
model whose biLM did not converge never settles a claim; the cross-task layer-mix claim
(claim 8) is `reports.layer_mix`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from reports import fmt
from reports.advice import Advice, Compare, best_pair, needs, versus
from reports.ranking import Row
from reports.usable import bilm_unconverged, has_bilm

FREEZE_CLAIM = "Small data: freeze the pretrained encoder (ELMo); large data: fine-tune it."
FROZEN_SMALL_CLAIM = ("Small data: a pretrained encoder kept frozen under a learned layer mix "
                      "(ELMo's recipe) beats every model trained from scratch.")
NOT_CONVERGED = "biLM not converged"


def _is_floor(row: Row) -> bool:
    return bool(row.usability and row.usability.floor)


def _twin_steps(by_size: Mapping[int, Sequence[Row]], metric: str,
                ) -> dict[str, list[tuple[int, Row, Row]]]:
    """frozen model -> [(size, frozen row, its fine-tuned twin's row)] at every size where
    both have a value, smallest first. Pairs come from the twin tags, never from names."""
    out: dict[str, list[tuple[int, Row, Row]]] = {}
    for n in sorted(by_size):
        rows = {r.model: r for r in by_size[n] if r.q(metric) is not None}
        for row in rows.values():
            twin = row.twins.get("finetuned")
            if twin in rows and row.runtime == "torch" and row.encoder_mode != "finetuned":
                out.setdefault(row.model, []).append((n, row, rows[twin]))
    return out


def _sizes(steps: Sequence[tuple[int, int | None]], score: int) -> str:
    return " and ".join(fmt.count(n) for n, s in steps if s == score)


def freeze_reason(scores: Sequence[tuple[int, int | None]]) -> tuple[str, str]:
    """(verdict, reason) from [(size, frozen vs fine-tuned: +1 frozen ahead, 0 no detectable
    difference, -1 fine-tuned ahead, None untested)], smallest size first.

    agrees: frozen ahead or level at the smallest size and fine-tuned ahead at the largest;
    disagrees: the opposite (fine-tuned ahead or level at the smallest, frozen ahead at the
    largest); otherwise inconclusive, saying what the data show."""
    if len(scores) < 2:
        return "inconclusive", (f"only one training size measured ({fmt.count(scores[0][0])})"
                                if scores else "no size measured")
    (n_small, small), (n_large, large) = scores[0], scores[-1]
    untested = [n for n, s in (scores[0], scores[-1]) if s is None]
    if untested:
        return "inconclusive", f"the difference at {fmt.count(untested[0])} could not be tested"
    if small >= 0 and large < 0:
        return "agrees", ""
    if small <= 0 and large > 0:
        return "disagrees", ""
    for score, who in ((-1, "fine-tuned"), (1, "frozen")):
        if small == large == score:
            every = all(s == score for _, s in scores)
            return "inconclusive", (f"{who} ahead at every size" if every else
                                    f"{who} ahead at {fmt.count(n_small)} and "
                                    f"{fmt.count(n_large)}")
    level = _sizes([(n_small, small), (n_large, large)], 0)
    if small < 0:
        return "inconclusive", (f"fine-tuned ahead at {fmt.count(n_small)}; no detectable "
                                f"difference at {level}")
    return "inconclusive", f"no detectable difference at {level}"


def freeze_or_finetune(by_size: Mapping[int, Sequence[Row]], compare: Compare,
                       metric: str) -> list[Advice]:
    """Claim 5, one verdict per frozen model with a measured fine-tuned twin. Inconclusive
    when the smallest or largest pair is not usable, or a biLM of the pair did not converge."""
    out = []
    for model, steps in sorted(_twin_steps(by_size, metric).items()):
        results = [(n, *versus(compare, frozen, tuned, metric)) for n, frozen, tuned in steps]
        evidence = (f"{model} (frozen) against its fine-tuned twin {steps[0][2].model}, at "
                    "each size (frozen − fine-tuned): "
                    + "; ".join(text for _, _, text, _ in results) + ".")
        effects = tuple(e for _, _, _, e in results)
        ends = [r for _, a, b in (steps[0], steps[-1]) for r in (a, b)]
        if any(bilm_unconverged(r) for r in ends):
            verdict, reason = "inconclusive", NOT_CONVERGED
        elif blocked := needs(ends):
            verdict, reason = "inconclusive", blocked
        else:
            verdict, reason = freeze_reason([(n, s) for n, s, _, _ in results])
        out.append(Advice(FREEZE_CLAIM, verdict, evidence, reason, effects))
    return out


def frozen_small_data(by_size: Mapping[int, Sequence[Row]], compare: Compare,
                      metric: str) -> Advice | None:
    """Claims 3/4 for a checkpoint: at the smallest of two or more sizes, the best frozen
    pretrained encoder against the best model trained from scratch (not pretrained, not a
    floor, not ELMo)."""
    if len(by_size) < 2:
        return None
    small = [r for r in by_size[min(by_size)] if r.q(metric) is not None and not _is_floor(r)]
    frozen = [r for r in small if r.pretrained and r.encoder_mode == "frozen"]
    scratch = [r for r in small if not r.pretrained and not has_bilm(r)]
    if not (frozen and scratch):
        return None
    return best_pair(FROZEN_SMALL_CLAIM, frozen, scratch, compare, metric)
