"""The learned layer mix of frozen encoders, across tasks: pure functions, no I/O.

A frozen encoder (ELMo's biLM, or a pretrained Transformer kept frozen) is read through a
learned scalar mix of its layers (Peters et al. 2018). Each such run logs the softmax weights
`mix/layer_<k>` (k = 0 is the embedding layer), `mix/layers`, `mix/gamma` and
`mix/mean_layer`, the weight-averaged depth on a 0-1 scale (0: all weight on the lowest
layer, 1: all on the top). CLAIMS.md claim 8 says NER draws on the lower layers and
sentence-level tasks on the higher ones: tested here as the difference of the mean
`mix/mean_layer` between NER runs and sentiment runs, bootstrapped over runs.
"""
from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from reports import fmt
from reports.advice import Advice, Effect
from reports.ranking import Row
from reports.runs import Cell
from reports.significance import SAMPLES, SEED
from reports.usable import bilm_unconverged, has_bilm, is_usable
from zoo.tracking import schema

LAYER_CLAIM = "NER relies on the lower layers, sentence-level tasks on the higher ones."
LOWER_TASKS = ("ner",)  # token-level: the claim expects lower layers
HIGHER_TASKS = ("sentiment",)  # sentence-level: the claim expects higher layers
TEST_TEXT = (f"bootstrap over runs (seeds × sizes, each side resampled with replacement, "
             f"{SAMPLES:,} resamples) of the difference of the mean mix/mean_layer, 95% "
             "percentile CI")


@dataclass(frozen=True)
class MixRun:
    """One run's learned mix."""

    run_id: str
    task: str
    dataset: str
    n_train: int | None
    seed: str
    weights: tuple[float, ...]  # () when a layer's weight was not logged
    mean_layer: float
    gamma: float | None


@dataclass(frozen=True)
class MixModel:
    """A frozen encoder's mixes over the runs of its usable rows (in each dataset's newest
    environment); `left_out` counts the runs of its rows that are not usable."""

    model: str
    pretrained: str
    bilm: bool  # an ELMo biLM of its own
    bilm_converged: bool  # False only for a biLM not known to have converged
    layers: int
    runs: tuple[MixRun, ...]
    left_out: int = 0

    def task_runs(self, task: str) -> list[MixRun]:
        return [r for r in self.runs if r.task == task]

    @property
    def tasks(self) -> list[str]:
        return sorted({r.task for r in self.runs})

    def mean_weights(self, task: str) -> tuple[float, ...] | None:
        """The mean weight of each layer over the task's runs that logged every weight."""
        full = [r.weights for r in self.task_runs(task) if len(r.weights) == self.layers]
        if not full:
            return None
        return tuple(float(w) for w in np.mean(np.asarray(full), axis=0))


def mix_run(cell: Cell) -> MixRun | None:
    """The mix a run logged; None without `mix/mean_layer` or layer weights."""
    layers = cell.metric(schema.MIX_LAYERS)
    k = (round(layers) if layers
         else sum(key.startswith(schema.MIX_LAYER_PREFIX) for key in cell.metrics))
    weights = tuple(cell.metric(schema.mix_layer(i)) for i in range(k))
    weights = weights if k and None not in weights else ()
    mean = cell.metric(schema.MIX_MEAN_LAYER)
    if mean is None and len(weights) > 1:
        mean = sum(i * w for i, w in enumerate(weights)) / (len(weights) - 1)
    if mean is None:
        return None
    return MixRun(cell.run_id, cell.task, cell.dataset, cell.n_train, cell.seed, weights,
                  mean, cell.metric(schema.MIX_GAMMA))


def mix_models(rows: Iterable[Row], cells: Mapping[str, Cell]) -> list[MixModel]:
    """Every frozen encoder (`encoder_mode` "frozen") whose runs logged a layer mix: the runs
    of its usable rows; pretrained checkpoints first, then ELMo."""
    found: dict[str, dict] = {}
    for row in rows:
        if row.encoder_mode != "frozen":
            continue
        runs = [m for run in row.run_ids if run in cells and (m := mix_run(cells[run]))]
        if not runs:
            continue
        entry = found.setdefault(row.model, {"row": row, "runs": [], "left_out": 0,
                                             "unconverged": False})
        entry["unconverged"] |= bilm_unconverged(row)
        if is_usable(row):
            entry["runs"].extend(runs)
        else:
            entry["left_out"] += len(runs)
    out = []
    for model, e in found.items():
        row, runs = e["row"], sorted(e["runs"], key=lambda r: (r.task, r.dataset,
                                                                r.n_train or 0, r.seed))
        layers = max((len(r.weights) for r in runs), default=0)
        out.append(MixModel(model, row.pretrained, has_bilm(row), not e["unconverged"],
                            layers, tuple(runs), e["left_out"]))
    return sorted(out, key=lambda m: (not m.pretrained, m.model))


def difference_ci(lower: Sequence[float], higher: Sequence[float], *, samples: int = SAMPLES,
                  seed: int = SEED) -> tuple[float, float, float]:
    """(mean(lower) - mean(higher), 95% CI low, high): each side resampled with replacement."""
    a, b = np.asarray(lower, float), np.asarray(higher, float)
    rng = np.random.default_rng(seed)
    boot_a = a[rng.integers(0, len(a), (samples, len(a)))].mean(axis=1)  # (R,)
    boot_b = b[rng.integers(0, len(b), (samples, len(b)))].mean(axis=1)  # (R,)
    low, high = np.percentile(boot_a - boot_b, [2.5, 97.5])
    return float(a.mean() - b.mean()), float(low), float(high)


def _side(model: MixModel, tasks: Sequence[str]) -> list[float]:
    return [r.mean_layer for r in model.runs if r.task in tasks]


def _runs(n: int) -> str:
    return f"{n} run" + ("" if n == 1 else "s")


def layer_claim(model: MixModel) -> Advice | None:
    """Claim 8 for one frozen encoder. agrees: NER's mean layer is significantly lower (the
    CI of NER − sentiment is below 0); disagrees: significantly higher; inconclusive with
    fewer than two runs on a side, a CI spanning 0, or a biLM that did not converge."""
    low, high = _side(model, LOWER_TASKS), _side(model, HIGHER_TASKS)
    if not (low or high):
        return None
    depth = max(model.layers - 1, 1)
    text = (f"{model.model}: mean layer on NER {_mean(low)} ({_runs(len(low))}) vs sentiment "
            f"{_mean(high)} ({_runs(len(high))}), on a 0–1 scale (0 = embedding layer, 1 = "
            f"top of {model.layers or '?'} layers)")
    if model.left_out:
        text += f"; {_runs(model.left_out)} of rows that are not usable left out"
    if not (low and high):
        missing = "NER" if not low else "sentiment"
        return Advice(LAYER_CLAIM, "inconclusive", text + ".", f"no {missing} runs")
    if len(low) < 2 or len(high) < 2:
        return Advice(LAYER_CLAIM, "inconclusive", text + ".",
                      "one run per side" if len(low) == len(high) == 1 else
                      f"only one {'NER' if len(low) < 2 else 'sentiment'} run")
    diff, lo, hi = difference_ci(low, high)
    text += (f"; NER − sentiment {fmt.signed(diff, 2)} (95% CI {fmt.signed(lo, 2)} to "
             f"{fmt.signed(hi, 2)}; about {fmt.signed(diff * depth, 1)} of {depth} layers), by a "
             f"{TEST_TEXT}.")
    found = (Effect(f"{model.model}: NER − sentiment mean layer", diff, (lo, hi),
                    unit="0–1 layer scale"),)
    if not model.bilm_converged:
        return Advice(LAYER_CLAIM, "inconclusive", text, "biLM not converged", found)
    if hi < 0:
        return Advice(LAYER_CLAIM, "agrees", text, "", found)
    if lo > 0:
        return Advice(LAYER_CLAIM, "disagrees", text, "", found)
    return Advice(LAYER_CLAIM, "inconclusive", text, "no detectable difference (the 95% CI "
                  "spans 0)", found)


def _mean(values: Sequence[float]) -> str:
    return fmt.points(statistics.fmean(values), 2) if values else fmt.DASH

