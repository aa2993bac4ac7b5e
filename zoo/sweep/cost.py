"""The sweep's cost model: which cell to start first, and roughly how long the rest will take.

Costs are relative units (training examples times a task and family factor), measured once
on the quick run of 2026-12-03; they order cells, and `zoo bench --dry-run` turns them into
rough seconds with a rate from finished runs (`seconds_per_unit`).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from zoo.cells import CellSpec
from zoo.data import get_card
from zoo.models import get_entry

# Rough training seconds per example, relative to a sentence classifier: only for the order
# in which cells start (from the quick run of 2026-12-03: a tatoeba pair ~7x an mr sentence,
# a wnut16 tweet ~3x; the ELMo and Transformer families ~2x the recurrent ones).
_TASK_COST = {"translation": 7.0, "ner": 3.0, "sentiment": 1.0}
_FAMILY_COST = {"elmo": 2.5, "transformer": 1.5, "seq2seq_transformer": 1.5,
                "pretrained_transformer": 8.0}
# A frozen pretrained encoder runs one forward pass per sentence, then trains a small head.
_FROZEN_CHECKPOINT_COST = 1.5


def expected_cost(spec: CellSpec) -> float:
    """The cell's training cost in relative units; 0 for classical fits and floors."""
    entry = get_entry(spec.model)
    if entry.kind != "neural":
        return 0.0  # classical fits and floors take seconds
    counts = get_card(spec.dataset).expected
    pool = counts.get("train") or 0.8 * counts.get("all", 1000)
    examples = spec.train_size if spec.train_size > 1 else spec.train_size * pool
    family = (_FROZEN_CHECKPOINT_COST if entry.pretrained and entry.encoder_mode == "frozen"
              else _FAMILY_COST.get(entry.family, 1.0))
    return examples * _TASK_COST.get(spec.task, 1.0) * family


def longest_first(cells: list) -> list:
    """The cells (CellSpec or ResolvedCell) in the order to start them: expected-longest
    first, so that the last cell to finish is a short one and no worker idles behind a long
    tail; runtime twins stay after every float cell (they reuse its weights once it has
    finished)."""
    def order(cell):
        spec = getattr(cell, "spec", cell)
        return get_entry(spec.model).runtime != "torch", -expected_cost(spec)

    return sorted(cells, key=order)


# Fewer finished neural runs than this make no rate: one cell's noise would be the estimate.
MIN_RUNS_FOR_A_RATE = 3


def seconds_per_unit(finished: Iterable[tuple[CellSpec, float]]) -> tuple[float, int] | None:
    """(training seconds per cost unit, runs it rests on) from finished cells and their
    logged training seconds; None with fewer than MIN_RUNS_FOR_A_RATE neural cells."""
    units = seconds = 0.0
    runs = 0
    for spec, trained_s in finished:
        cost = expected_cost(spec)
        if cost > 0 and trained_s > 0:
            units, seconds, runs = units + cost, seconds + trained_s, runs + 1
    return (seconds / units, runs) if runs >= MIN_RUNS_FOR_A_RATE else None


def estimated_seconds(cells: Sequence[CellSpec], rate: float, parallel: int) -> float:
    """Wall seconds of training for `cells` at `rate` seconds per unit, `parallel` at once
    (a lower bound: classical fits, data preparation and latency measuring are left out)."""
    return sum(expected_cost(spec) for spec in cells) * rate / max(1, parallel)
