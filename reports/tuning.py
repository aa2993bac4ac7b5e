"""Recipe vs tuned (`zoo tune`): one row per study, its verdict from a significance test.

Reads the comparison runs of the tuning experiment (zoo.tune_compare logs them as cell runs
with the study and arm tags, and their per-example test statistics). The test difference
(tuned - recipe, points) is the leaderboard's paired bootstrap over test examples with each
arm's seeds averaged inside every resample (reports.significance), and the verdict follows it
only: a difference that is not significant is "no detectable difference", whatever its size.

`tuning_rows` is pure (run dicts as zoo.tracking.load_runs gives them, and the stats payloads
of zoo.tracking.load_example_stats); `load_tuning_rows` reads the store; `render_text` is
what `zoo tune` prints. The claims table (CLAIMS.md 19) and a report section can use the rows.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import mean

import numpy as np

from reports.runs import LABEL, SCALE, num
from reports.significance import Comparison, compare_resampled, resample
from zoo.tracking import schema

GAINS, NO_DIFFERENCE, RECIPE_BETTER = ("tuning gains significantly", "no detectable difference",
                                       "recipe better")
UNTESTED = "untested: no per-example test statistics"
_RECIPE_ARMS = (schema.ARM_RECIPE, schema.ARM_BOTH)
_TUNED_ARMS = (schema.ARM_TUNED, schema.ARM_BOTH)


@dataclass(frozen=True)
class TuningRow:
    study: str
    model: str
    dataset: str
    size: str
    metric: str
    seeds: tuple[int, ...]  # the evaluation seeds of each arm (seed means below)
    dev_recipe: float | None  # points (accuracy and F1 x100; BLEU as is)
    dev_tuned: float | None
    test_recipe: float | None
    test_tuned: float | None
    comparison: Comparison  # tuned - recipe on test
    verdict: str
    overrides: dict[str, str] = field(default_factory=dict)  # the tuned config's changes


def verdict(comparison: Comparison) -> str:
    """From the test only: significant gain, significant loss, or no detectable difference."""
    if comparison.significant is None:
        return UNTESTED
    if not comparison.significant:
        return NO_DIFFERENCE
    return GAINS if (comparison.diff or 0.0) > 0 else RECIPE_BETTER


def _mean(runs: Sequence[Mapping], key: str, scale: float) -> float | None:
    values = [v for r in runs if (v := num(r["metrics"].get(key))) is not None]
    return mean(values) * scale if values else None


def example_arrays(runs: Sequence[Mapping], stats: Mapping[str, Mapping], metric: str):
    """Each run's per-test-example `metric` statistics as an array (the paired bootstrap's
    input), or None when any run lacks them."""
    out = []
    for run in runs:
        values = ((stats.get(run["run_id"]) or {}).get("stats") or {}).get(metric)
        if values is None or len(values) == 0:
            return None
        out.append(np.asarray(values))
    return out


def _overrides(recipe: Sequence[Mapping], tuned: Sequence[Mapping]) -> dict[str, str]:
    """The train.* params in which the tuned arm's config differs from the recipe's."""
    if not recipe or not tuned:
        return {}
    a, b = recipe[0]["params"], tuned[0]["params"]
    prefix = schema.TRAIN_PARAM_PREFIX
    return {k.removeprefix(prefix): b[k] for k in sorted(b)
            if k.startswith(prefix) and a.get(k) != b[k]}


def _row(study: str, runs: Sequence[Mapping], stats: Mapping[str, Mapping]) -> TuningRow:
    tags = runs[0]["tags"]
    metric = schema.PRIMARY_METRIC.get(tags.get(schema.TASK, ""), "accuracy")
    scale = SCALE.get(metric, 1.0)
    recipe = [r for r in runs if r["tags"].get(schema.TUNING_ARM) in _RECIPE_ARMS]
    tuned = [r for r in runs if r["tags"].get(schema.TUNING_ARM) in _TUNED_ARMS]
    arrays = (example_arrays(tuned, stats, metric), example_arrays(recipe, stats, metric))
    comparison = Comparison(None, None)
    if recipe and tuned and None not in arrays:
        comparison = compare_resampled(resample(arrays[0], metric), resample(arrays[1], metric))
    seeds = tuple(sorted({int(r["tags"].get(schema.SEED, 0)) for r in recipe}))
    return TuningRow(study, tags.get(schema.MODEL, "?"), tags.get(schema.DATASET, "?"),
                     str(tags.get(schema.TRAIN_SIZE, "?")), metric, seeds,
                     _mean(recipe, schema.DEV_PRIMARY, scale),
                     _mean(tuned, schema.DEV_PRIMARY, scale),
                     _mean(recipe, schema.TEST_PRIMARY, scale),
                     _mean(tuned, schema.TEST_PRIMARY, scale),
                     comparison, verdict(comparison), _overrides(recipe, tuned))


def tuning_rows(runs: Sequence[Mapping], stats: Mapping[str, Mapping]) -> list[TuningRow]:
    """One row per study with finished comparison runs, by dataset then model."""
    by_study: dict[str, list[Mapping]] = defaultdict(list)
    for run in runs:
        study = run["tags"].get(schema.TUNING_STUDY)
        if study and run["status"] == "FINISHED" and \
                run["tags"].get(schema.TUNING_ARM) in (*_RECIPE_ARMS, *_TUNED_ARMS):
            by_study[study].append(run)
    rows = [_row(study, found, stats) for study, found in by_study.items()]
    return sorted(rows, key=lambda r: (r.dataset, r.model, r.size, r.study))


def load_tuning_rows(experiment: str = schema.TUNING_EXPERIMENT,
                     studies: Sequence[str] | None = None) -> list[TuningRow]:
    """The rows of the store's tuning experiment (of `studies` only, when given)."""
    from zoo.tracking import load_example_stats, load_runs

    runs = [r for r in load_runs(experiment)
            if studies is None or r["tags"].get(schema.TUNING_STUDY) in studies]
    stats = load_example_stats([r["run_id"] for r in runs], experiment=experiment)
    return tuning_rows(runs, stats)


def _points(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def render_text(rows: Sequence[TuningRow]) -> str:
    """A plain-text table: recipe vs tuned, dev and test (seed means), the test difference
    with its 95% CI, the verdict and the tuned config's changes."""
    if not rows:
        return "No finished tuning comparisons yet (run `zoo tune MODEL --dataset D`)."
    head = (f"{'model':<20} {'dataset':<8} {'size':<5} {'metric':<9} {'dev rec':>7} "
            f"{'dev tun':>7} {'test rec':>8} {'test tun':>8} {'diff [95% CI]':>20}  verdict")
    lines = [head, "-" * len(head)]
    for r in rows:
        c = r.comparison
        diff = "-" if c.diff is None else f"{c.diff:+.1f}"
        if c.ci is not None:
            diff += f" [{c.ci[0]:+.1f}, {c.ci[1]:+.1f}]"
        lines.append(f"{r.model:<20} {r.dataset:<8} {r.size:<5} {LABEL.get(r.metric, r.metric):<9} "
                     f"{_points(r.dev_recipe):>7} {_points(r.dev_tuned):>7} "
                     f"{_points(r.test_recipe):>8} {_points(r.test_tuned):>8} {diff:>20}  "
                     f"{r.verdict}")
        changes = ", ".join(f"{k}={v}" for k, v in r.overrides.items())
        lines.append(f"    tuned: {changes or 'the recipe itself (no trial beat it on dev)'}; "
                     f"seeds {','.join(map(str, r.seeds))}")
    lines.append("Test difference: tuned - recipe, paired bootstrap over test examples, seeds "
                 "averaged; trials selected on dev only.")
    return "\n".join(lines)
