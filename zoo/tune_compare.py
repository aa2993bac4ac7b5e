"""The comparison after a study: the recipe and the best trial's config, each trained with
every evaluation seed through zoo.cells.train_cell (dev selects, test is read once), logged as
cell runs of the study (zoo.sweep.run_record's tags, metrics and per-example test statistics,
which reports.tuning's paired bootstrap reads).

Resumable: a FINISHED run of the study with the same cell key is reused, not retrained. When
the study's best changes (a rerun with more trials), the former tuned arm's runs are tagged
"superseded" and the new best is trained.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from zoo import tracking
from zoo.cells import ResolvedCell, resolve_cell, train_cell
from zoo.measure import environment
from zoo.sweep.run_record import cell_params, cell_tags, log_trained_cell
from zoo.tracking import schema
from zoo.tune_space import TuneRequest, changed

_ARM_WORDS = {schema.ARM_RECIPE: "the recipe", schema.ARM_TUNED: "the best trial's config",
              schema.ARM_BOTH: "the recipe (the best trial too)"}


@dataclass(frozen=True)
class ArmRun:
    arm: str  # schema.ARM_RECIPE | ARM_TUNED | ARM_BOTH
    seed: int
    run_id: str
    dev: float | None  # the primary metric, as logged (fractions; BLEU 0-100)
    test: float | None
    reused: bool


def _study_cells(exp_id: str, study: str) -> list:
    return tracking.client().search_runs(
        [exp_id], f"tags.`{schema.KIND}` = '{schema.KIND_CELL}' and "
                  f"tags.`{schema.TUNING_STUDY}` = '{study}'", max_results=1000)


def _train(cell: ResolvedCell, arm: str, req: TuneRequest, data, work_dir: Path,
           exp_id: str, parent_id: str, env: dict[str, str], corpus) -> str:
    tags = {**cell_tags(cell, env), schema.TUNING_STUDY: req.study_name,
            schema.TUNING_ARM: arm}
    run_id = tracking.start_cell_run(exp_id, parent_id, f"{arm} {cell.label}", cell.key, tags,
                                     cell_params(cell))
    began = time.time()
    try:
        trained = train_cell(cell, data, work_dir, corpus=corpus)
    except BaseException as exc:
        tracking.fail_cell_run(run_id, f"{type(exc).__name__}: {exc}")
        raise
    log_trained_cell(run_id, trained, (began, time.time()))
    tracking.finish_run(run_id)
    return run_id


def compare(req: TuneRequest, data, best_params: dict[str, object], work_dir: Path,
            exp_id: str, parent_id: str, echo=print, corpus=None) -> list[ArmRun]:
    """Both arms at every evaluation seed; one arm ("both") when the best is the recipe."""
    tuned = changed(best_params, req.recipe())
    arms = [(schema.ARM_BOTH, {})] if not tuned else [(schema.ARM_RECIPE, {}),
                                                     (schema.ARM_TUNED, tuned)]
    finished = {r.data.tags.get(schema.CELL_KEY): r for r in _study_cells(exp_id, req.study_name)
                if r.info.status == "FINISHED"}
    env, out, keys = environment(), [], set()
    for arm, overrides in arms:
        for seed in req.eval_seeds:
            cell = resolve_cell(req.spec(seed, overrides), data.fingerprint)
            keys.add(cell.key)
            found = finished.get(cell.key)
            if found is not None:
                tracking.log_tags(found.info.run_id, {schema.TUNING_ARM: arm})
                run_id = found.info.run_id
            else:
                echo(f"comparison: training {_ARM_WORDS[arm]}, seed {seed}")
                run_id = _train(cell, arm, req, data, work_dir, exp_id, parent_id, env,
                                corpus)
            metrics = tracking.client().get_run(run_id).data.metrics
            out.append(ArmRun(arm, seed, run_id, metrics.get(schema.DEV_PRIMARY),
                              metrics.get(schema.TEST_PRIMARY), found is not None))
    for key, run in finished.items():
        if key not in keys:  # an earlier best's arm, or a seed no longer asked for
            tracking.log_tags(run.info.run_id, {schema.TUNING_ARM: schema.ARM_SUPERSEDED})
    return out
