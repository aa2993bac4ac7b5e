"""`zoo bench --dry-run`: the plan, what the store already holds, and a rough cost; no work.

Nothing is trained, prepared, downloaded or created: the MLflow store is only read, and only
when it exists; no Prefect server starts. A planned cell counts as finished when a FINISHED
run in the store has the key this cell would get with that run's data fingerprint (same
model, size, seed, resolved config, code version and device): the data itself is checked
again, by its fingerprint, when the sweep runs.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

from zoo import home, tracking
from zoo.cells import CellSpec, resolve_cell
from zoo.data import get_card
from zoo.errors import ZooError
from zoo.measure import cpu_model
from zoo.sweep import cost
from zoo.sweep.plan import count_of
from zoo.tracking import schema
from zoo.variants import shown_name

# When this machine has no finished runs to calibrate on: the training seconds (train_s)
# of the neural cells of docs/runs/quick_profile_run_2026-12-07.txt (AMD EPYC, 2 cores),
# 1,108.8 s, over those cells' cost units, 204,338 (zoo.sweep.cost.expected_cost).
REFERENCE_RATE = 1108.8 / 204338.4
REFERENCE_NAME = "the quick run of 2026-12-07 on an AMD EPYC with 2 cores"


def describe(cells: Sequence[CellSpec], experiment: str, parallel: int) -> list[str]:
    """The dry run's lines: per dataset the models, sizes as counts and seeds; the cells the
    store already finished; a rough estimate of the rest on this machine."""
    runs = _stored_runs(experiment)
    finished = _finished(cells, runs)
    lines = [f"Plan: {len(cells)} cells, {parallel} in parallel (a dry run: nothing is "
             "trained, prepared or logged)"]
    for name in dict.fromkeys(c.dataset for c in cells):
        lines.extend(_dataset_lines(name, [c for c in cells if c.dataset == name], finished))
    rest = [c for c in cells if c not in finished]
    lines.append(f"Finished in the store ({experiment!r}): {len(finished)} of {len(cells)}; "
                 f"to run: {len(rest)}")
    lines.append(_estimate_line(rest, runs, parallel))
    return lines


def _dataset_lines(name: str, cells: list[CellSpec], finished: set[CellSpec]) -> list[str]:
    card = get_card(name)
    sizes = dict.fromkeys(c.train_size for c in cells)
    done = [c for c in cells if c in finished]
    variants = dict.fromkeys(shown_name(c.model, c.variant) for c in cells if c.variant)
    return [f"  {name} ({card.task}): {len(cells)} cells, {len(done)} finished",
            f"    models: {', '.join(dict.fromkeys(c.model for c in cells))}",
            *([f"    recipe variants: {', '.join(variants)}"] if variants else []),
            "    sizes: " + ", ".join(f"{count_of(s, card)}"
                                      + (f" ({s:g})" if isinstance(s, float) else "")
                                      for s in sizes),
            f"    seeds: {', '.join(str(s) for s in dict.fromkeys(c.seed for c in cells))}"]


def _stored_runs(experiment: str) -> list[dict]:
    """The experiment's cell runs, read only; none when there is no store yet (a local store
    is never created here)."""
    if not os.environ.get("MLFLOW_TRACKING_URI") and not home.mlflow_db().is_file():
        return []
    try:
        return tracking.load_runs(experiment)
    except ZooError:
        return []


def _finished(cells: Sequence[CellSpec], runs: list[dict]) -> set[CellSpec]:
    by_key = {r["tags"].get(schema.CELL_KEY): r for r in runs if r["status"] == "FINISHED"}
    fingerprints = {(r["tags"].get(schema.DATASET), r["tags"].get(schema.DATA_FINGERPRINT))
                    for r in by_key.values()}
    done = set()
    for spec in cells:
        for dataset, fingerprint in fingerprints:
            if dataset == spec.dataset and fingerprint and \
                    resolve_cell(spec, fingerprint).key in by_key:
                done.add(spec)
                break
    return done


def _estimate_line(rest: list[CellSpec], runs: list[dict], parallel: int) -> str:
    if not rest:
        return "Estimate: nothing left to train."
    here = [(spec, seconds) for r in runs if r["status"] == "FINISHED"
            and r["tags"].get(schema.CPU) == cpu_model()
            and r["tags"].get(schema.CORES) == str(os.cpu_count())
            and (spec := _spec_of(r)) is not None
            and (seconds := r["metrics"].get(schema.TRAIN_SECONDS))]
    rate = cost.seconds_per_unit(here)
    if rate is not None:
        basis = f"calibrated on {rate[1]} finished runs of this machine in the store"
    else:
        rate = (REFERENCE_RATE, 0)
        basis = (f"no finished runs of this machine to calibrate on, so the rate of "
                 f"{REFERENCE_NAME}")
    seconds = cost.estimated_seconds(rest, rate[0], parallel)
    return (f"Estimate (rough: the cost model's relative units times a rate; {basis}): "
            f"{_duration(seconds)} of training for the {len(rest)} cells left, "
            f"{parallel} at a time, plus data preparation, classical fits and latency "
            "measuring")


def _spec_of(run: dict) -> CellSpec | None:
    """The cell a stored run trained, for the cost model; None for a model or dataset this
    code no longer has."""
    tags = run["tags"]
    try:
        size_text = tags[schema.TRAIN_SIZE]
        size = float(size_text) if "." in size_text else int(size_text)
        card = get_card(tags[schema.DATASET])
        spec = CellSpec(card.task, card.name, tags[schema.MODEL], size, int(tags[schema.SEED]))
        cost.expected_cost(spec)
    except (KeyError, ValueError, ZooError):
        return None
    return spec


def _duration(seconds: float) -> str:
    minutes = seconds / 60
    if minutes < 1:
        return "under a minute"
    return f"about {minutes:.0f} min" if minutes < 90 else f"about {minutes / 60:.1f} h"
