"""The Optuna study of `zoo tune`: seeded, resumable, each trial a nested MLflow run.

Resuming: the study lives in an SQLite file under ZOO_HOME (zoo.home.tuning_db) and is named
after what its trials measure (TuneRequest.study_name), so a rerun loads it and runs only the
trials still missing. A trial counts once it completed, or once it raised (recorded as failed
with its error, never retried); a trial its process was killed in is marked failed when the
study is opened again and is run anew. One process runs a study at a time (a file lock), so
a trial still RUNNING when the study opens is such a leftover.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

from zoo import home, tracking
from zoo.errors import ZooError
from zoo.tracking import schema
from zoo.tune_space import TuneRequest, changed, fit_on_dev, recipe_params, suggest

# TPE draws its first trials at random; with the plan's budget of 12, five random trials
# leave seven to TPE's model (Optuna's default of 10 would leave two).
STARTUP_TRIALS = 5
ERROR_ATTR, RUN_ATTR, RECIPE_ATTR = "error", "mlflow_run_id", "recipe"


def storage_url() -> str:
    db = home.tuning_db()
    db.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{db}"


@contextlib.contextmanager
def study_lock(req: TuneRequest):
    """Held while a study runs: a second `zoo tune` of the same study fails with one line."""
    from filelock import FileLock, Timeout

    digest = hashlib.sha256(req.study_name.encode()).hexdigest()[:16]
    path = home.tuning_lock_path(digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise ZooError(f"study {req.study_name!r} is being run by another process; wait for "
                       f"it to end (lock {path})") from None
    try:
        yield
    finally:
        lock.release()


def open_study(req: TuneRequest):
    import optuna  # heavy: loaded only when a study runs

    # Each trial prints its own line; Optuna's per-trial INFO lines and the traceback of a
    # failed trial (kept on its MLflow run) would bury them.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(storage=storage_url(), study_name=req.study_name,
                                direction="maximize", load_if_exists=True)
    # Seeded by the study's seed and the trials it holds: a resumed study seeded as the
    # first run was redrew that run's random trials (measured: trials 3-4 repeated 1-2).
    # And by the study's name: seeded alike, the tuning plan's 10 studies of 2026-12-07 all
    # drew the same random trials (one of them won for 4 families).
    seed = (sampler_salt(req.study_name) + req.seed
            + len(study.get_trials(deepcopy=False))) % 2**31
    study.sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=STARTUP_TRIALS)
    return study


def sampler_salt(study_name: str) -> int:
    """A number fixed by the study's name, the same in every process (unlike hash())."""
    return zlib.crc32(study_name.encode("utf-8"))


def counts(trial) -> bool:
    """Whether a trial is spent: it completed, or it raised (failed with an error)."""
    from optuna.trial import TrialState

    return trial.state == TrialState.COMPLETE or (
        trial.state == TrialState.FAIL and ERROR_ATTR in trial.user_attrs)


def close_interrupted(study) -> int:
    """Trials left RUNNING by a killed process: failed without an error (run again), their
    MLflow runs KILLED."""
    from optuna.trial import TrialState

    stale = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    for trial in stale:
        # Optuna has no public call to end another process's trial; its storage's is this.
        study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        run_id = trial.user_attrs.get(RUN_ATTR)
        if run_id:
            tracking.log_tags(run_id, {schema.ERROR: "interrupted before it finished",
                                       schema.TUNING_TRIAL_STATE: "FAIL"})
            tracking.finish_run(run_id, "KILLED")
    return len(stale)


def enqueue_recipe(study, params: dict[str, object]) -> bool:
    """The recipe as the next trial, unless it was tried (or is queued) already."""
    from optuna.trial import TrialState

    for trial in study.get_trials(deepcopy=False):
        queued = trial.state == TrialState.WAITING and \
            trial.system_attrs.get("fixed_params") == params
        if queued or (counts(trial) and trial.params == params):
            return False
    study.enqueue_trial(params, user_attrs={RECIPE_ATTR: True})
    return True


def _new_run(exp_id: str, name: str, tags: dict[str, object],
             params: dict[str, object] | None = None) -> str:
    """A study or trial run (zoo.tracking's starters make benchmark and cell runs only)."""
    from mlflow.entities import Param

    client = tracking.client()
    run_id = client.create_run(exp_id, run_name=name, tags={k: str(v) for k, v in tags.items()}
                               ).info.run_id
    if params:
        client.log_batch(run_id, params=[Param(k, str(v)) for k, v in params.items()])
    return run_id


def _axes(req: TuneRequest) -> dict[str, object]:
    return {schema.TUNING_STUDY: req.study_name, schema.MODEL: req.model,
            schema.DATASET: req.dataset, schema.TASK: req.task, schema.TRAIN_SIZE: req.size,
            schema.SEED: req.seed, schema.PROFILE: req.profile}


def study_run(exp_id: str, req: TuneRequest) -> str:
    """The study's parent run: the one an earlier run of this study made (reopened), or new."""
    found = tracking.client().search_runs(
        [exp_id], f"tags.`{schema.KIND}` = '{schema.KIND_TUNING_STUDY}' and "
                  f"tags.`{schema.TUNING_STUDY}` = '{req.study_name}'", max_results=1)
    if found:
        tracking.client().update_run(found[0].info.run_id, status="RUNNING")
        return found[0].info.run_id
    return _new_run(exp_id, req.study_name, {schema.KIND: schema.KIND_TUNING_STUDY,
                                             **_axes(req)})


@dataclass(frozen=True)
class SearchResult:
    best_params: dict[str, object]
    best_value: float
    best_trial: int
    recipe_value: float | None  # the recipe trial's dev score (None: it failed)
    complete: int
    failed: int
    ran_now: int


def _trial_run(exp_id: str, parent_id: str, req: TuneRequest, number: int,
               overrides: dict[str, object]) -> str:
    tags = {schema.KIND: schema.KIND_TUNING_TRIAL, schema.PARENT: parent_id, **_axes(req),
            schema.TUNING_TRIAL: number, schema.TUNING_TRIAL_STATE: "RUNNING"}
    return _new_run(exp_id, f"trial {number}", tags,
                    {schema.train_param(k): v for k, v in overrides.items()})


def _objective(req: TuneRequest, data, work_dir: Path, exp_id: str, parent_id: str, echo,
               corpus):
    recipe = req.recipe()

    def objective(trial) -> float:
        overrides = suggest(trial, recipe, req.task)
        run_id = _trial_run(exp_id, parent_id, req, trial.number, overrides)
        trial.set_user_attr(RUN_ATTR, run_id)
        shown = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in changed(overrides, recipe).items()) or "the recipe"
        try:
            fit = fit_on_dev(req.spec(req.seed, overrides), data, work_dir, corpus)
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            trial.set_user_attr(ERROR_ATTR, message[:1000])
            tracking.log_tags(run_id, {schema.TUNING_TRIAL_STATE: "FAIL"})
            tracking.fail_cell_run(run_id, message)
            echo(f"trial {trial.number} ({shown}): failed: {message[:200]}")
            raise
        except BaseException:  # Ctrl-C: the trial is run again next time
            tracking.finish_run(run_id, "KILLED")
            raise
        tracking.log_metrics(run_id, {schema.DEV_PRIMARY: fit.best_dev,
                                      schema.TRAIN_BEST_EPOCH: fit.best_epoch,
                                      schema.TRAIN_EPOCHS_RUN: fit.epochs_run,
                                      schema.TRAIN_SECONDS: fit.seconds})
        tracking.log_tags(run_id, {schema.TUNING_TRIAL_STATE: "COMPLETE",
                                   schema.STOP_REASON: fit.stop_reason})
        tracking.finish_run(run_id)
        echo(f"trial {trial.number} ({shown}): dev {fit.best_dev:.4f} at epoch "
             f"{fit.best_epoch} ({fit.seconds:.0f} s)")
        return fit.best_dev

    return objective


def search(req: TuneRequest, data, work_dir: Path, exp_id: str, parent_id: str,
           echo=print, corpus=None) -> SearchResult:
    """Run the trials still missing (`req.trials` minus those spent), recipe first."""
    study = open_study(req)
    if (closed := close_interrupted(study)):
        echo(f"{closed} trial(s) interrupted earlier will run again")
    recipe = req.recipe()
    enqueue_recipe(study, recipe_params(recipe, req.task))
    missing = max(0, req.trials - sum(counts(t) for t in study.get_trials(deepcopy=False)))
    echo(f"study {req.study_name}: {req.trials - missing} of {req.trials} trials done, "
         f"running {missing}")
    if missing:
        study.optimize(_objective(req, data, work_dir, exp_id, parent_id, echo, corpus),
                       n_trials=missing, catch=(Exception,))
    return _summarize(study, req, exp_id, parent_id, missing)


def _summarize(study, req: TuneRequest, exp_id: str, parent_id: str,
               ran_now: int) -> SearchResult:
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    failed = sum(counts(t) for t in trials) - len(complete)
    if not complete:
        raise ZooError(f"every trial of study {req.study_name!r} failed; their errors are on "
                       f"the trial runs of MLflow experiment {schema.TUNING_EXPERIMENT!r}")
    best = max(complete, key=lambda t: (t.value, -t.number))  # ties: the earlier (recipe)
    params = recipe_params(req.recipe(), req.task)
    recipe_value = next((t.value for t in complete if t.params == params), None)
    tracking.log_metrics(parent_id, {schema.TUNING_TRIALS: req.trials,
                                     schema.TUNING_COMPLETE: len(complete),
                                     schema.TUNING_FAILED: failed,
                                     schema.TUNING_BEST_TRIAL: best.number,
                                     schema.DEV_PRIMARY: best.value})
    tracking.log_tags(parent_id, {schema.TUNING_BEST_OVERRIDES: json.dumps(
        changed(best.params, req.recipe()), sort_keys=True)})
    return SearchResult(dict(best.params), best.value, best.number, recipe_value,
                        len(complete), failed, ran_now)
