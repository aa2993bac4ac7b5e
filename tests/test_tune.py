"""`zoo tune` (zoo.tune, zoo.tune_study, zoo.tune_compare, reports.tuning): trials select on
dev and never read test; the recipe is trial 0; every trial is a run nested under its study's
run; a rerun runs only the missing trials (a failed one is not retried, an interrupted one
is); bad input fails with one line before any work; the verdict follows the significance
test. Tiny models on the toy sentiment examples, a few seconds each."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from tests.toy_data import SENTIMENT
from zoo.tracking import schema

EXAMPLES = SENTIMENT * 3  # 18 sentences: a dev score that can move between trials


class CountedSplit(list):
    """A split that counts every read of its examples (iteration, indexing, length)."""

    reads = 0

    def __iter__(self):
        type(self).reads += 1
        return super().__iter__()

    def __getitem__(self, index):
        type(self).reads += 1
        return super().__getitem__(index)

    def __len__(self):
        type(self).reads += 1
        return super().__len__()


def _data(test) -> SimpleNamespace:
    return SimpleNamespace(splits={"train": tuple(EXAMPLES), "dev": tuple(EXAMPLES),
                                   "test": test},
                           labels=("neg", "pos"), fingerprint="7" * 64,
                           card=SimpleNamespace(language="en"))


def _request(trials: int, seed: int = 1, eval_seeds=(1, 2)):
    """A study of tiny_lstm (no recipe of its own: TrainConfig's defaults) with the quick
    profile's budgets; each test's own `seed` makes it a study of its own."""
    from zoo.tune import check_request

    return check_request("tiny_lstm", "mr", trials, size=1.0, seed=seed,
                         eval_seeds=eval_seeds, profile="quick")


def _runs(kind: str, seed: int = 1) -> list:
    from zoo import tracking

    exp = tracking.find_experiment_id(schema.TUNING_EXPERIMENT)
    return tracking.client().search_runs(
        [exp], f"tags.`{schema.KIND}` = '{kind}' and "
               f"tags.`{schema.TUNING_STUDY}` = '{_request(1, seed).study_name}'",
        max_results=1000)


@pytest.fixture(scope="module")
def tune_home(tmp_path_factory):
    """One ZOO_HOME (and MLflow store, created once: most of a test's time) for the
    studies of this module, each under its own seed."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZOO_HOME", str(tmp_path_factory.mktemp("tune-home")))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        yield


@pytest.fixture(scope="module")
def study(tune_home):
    """One 4-trial study with a 2-seed comparison; test reads counted before the comparison."""
    from zoo import tune

    with pytest.MonkeyPatch.context() as mp:
        test = CountedSplit(EXAMPLES)
        seen: dict[str, int] = {}
        real_compare = tune.compare

        def compare_after_search(*args, **kwargs):
            seen["test_reads_in_search"] = CountedSplit.reads
            return real_compare(*args, **kwargs)

        mp.setattr(tune, "compare", compare_after_search)
        lines: list[str] = []
        req = _request(4)
        outcome = tune.run_study(req, _data(test), echo=lines.append)
        seen["test_reads_after"] = CountedSplit.reads
        yield SimpleNamespace(req=req, outcome=outcome, seen=seen, lines=lines,
                              trials=_runs(schema.KIND_TUNING_TRIAL),
                              parents=_runs(schema.KIND_TUNING_STUDY),
                              cells=_runs(schema.KIND_CELL))


def test_trials_never_read_test(study):
    assert study.seen["test_reads_in_search"] == 0
    assert study.seen["test_reads_after"] > 0  # the comparison read it (the count works)
    assert len(study.trials) == 4
    for run in study.trials:
        assert run.info.status == "FINISHED"
        assert run.data.tags[schema.TUNING_TRIAL_STATE] == "COMPLETE"
        assert schema.DEV_PRIMARY in run.data.metrics
        assert not [m for m in run.data.metrics if m.startswith(schema.TEST)]


def test_the_recipe_is_trial_zero(study):
    from zoo.tune_space import recipe_params
    from zoo.tune_study import open_study

    recipe = recipe_params(study.req.recipe(), "sentiment")
    trials = open_study(study.req).get_trials(deepcopy=False)
    assert trials[0].number == 0 and trials[0].params == recipe
    assert all(t.params != recipe for t in trials[1:])  # the sampler drew the others
    run0 = next(r for r in study.trials if r.data.tags[schema.TUNING_TRIAL] == "0")
    assert run0.data.params[schema.train_param("lr")] == str(recipe["lr"])
    assert study.outcome.search.recipe_value == trials[0].value


def test_trials_and_comparison_runs_nest_under_the_study_run(study):
    assert len(study.parents) == 1
    parent = study.parents[0]
    assert parent.info.status == "FINISHED"
    assert parent.data.metrics[schema.TUNING_COMPLETE] == 4
    assert {r.data.tags[schema.PARENT] for r in study.trials} == {parent.info.run_id}
    assert sorted(int(r.data.tags[schema.TUNING_TRIAL]) for r in study.trials) == [0, 1, 2, 3]
    arms = {r.data.tags[schema.TUNING_ARM] for r in study.cells}
    best_is_recipe = study.outcome.search.best_trial == 0
    assert arms == ({schema.ARM_BOTH} if best_is_recipe else {schema.ARM_RECIPE,
                                                              schema.ARM_TUNED})
    assert len(study.cells) == (2 if best_is_recipe else 4)  # 2 eval seeds per arm
    for run in study.cells:
        assert run.data.tags[schema.PARENT] == parent.info.run_id
        assert schema.TEST_PRIMARY in run.data.metrics and schema.DEV_PRIMARY in run.data.metrics


def test_the_table_prints_recipe_and_tuned(study):
    from reports.tuning import load_tuning_rows, render_text

    rows = load_tuning_rows(studies=[study.req.study_name])
    assert len(rows) == 1 and rows[0].model == "tiny_lstm" and rows[0].seeds == (1, 2)
    assert rows[0].comparison.basis == "paired bootstrap"  # the stats were logged and read
    text = render_text(rows)
    assert "tiny_lstm" in text and rows[0].verdict in text


def test_rerun_runs_only_the_missing_trials(tune_home, monkeypatch):
    """Trial 1 raises: recorded failed, never retried. A trial left RUNNING by a killed
    process runs again. Asking for more trials runs only the difference."""
    from zoo import tune_study
    from zoo.tune import run_study

    real_fit = tune_study.fit_on_dev
    calls = []

    def fit_failing_once(spec, data, work_dir, corpus):
        calls.append(spec)
        if len(calls) == 2:
            raise RuntimeError("diverged")
        return real_fit(spec, data, work_dir, corpus)

    monkeypatch.setattr(tune_study, "fit_on_dev", fit_failing_once)
    data = _data(tuple(EXAMPLES))
    first = run_study(_request(3, 2, (1,)), data, echo=lambda _: None)
    assert (first.search.ran_now, first.search.complete, first.search.failed) == (3, 2, 1)
    again = run_study(_request(3, 2, (1,)), data, echo=lambda _: None)
    assert again.search.ran_now == 0 and len(calls) == 3  # the failed trial is not retried
    assert all(arm.reused for arm in again.arms)  # nor the comparison retrained
    tune_study.open_study(_request(3, 2)).ask()  # a trial its killed process left RUNNING
    grown = run_study(_request(5, 2, (1,)), data, echo=lambda _: None)
    assert grown.search.ran_now == 2 and len(calls) == 5
    assert (grown.search.complete, grown.search.failed) == (4, 1)
    drawn = [t.params for t in tune_study.open_study(_request(5, 2)).trials if t.params]
    assert len(drawn) == 5 and all(a != b for i, a in enumerate(drawn) for b in drawn[i + 1:])
    states = [r.data.tags[schema.TUNING_TRIAL_STATE]
              for r in _runs(schema.KIND_TUNING_TRIAL, 2)]
    assert sorted(states) == ["COMPLETE"] * 4 + ["FAIL"]


def test_studies_of_different_models_draw_different_random_trials(tune_home):
    """The same seed, the same search space, two models: each study its own random draws."""
    from zoo import tune_study
    from zoo.tune import check_request

    drawn = []
    for model in ("tiny_lstm", "tiny_gru"):
        req = check_request(model, "mr", 2, size=1.0, seed=41, eval_seeds=(1,),
                            profile="quick")
        drawn.append(tune_study.suggest(tune_study.open_study(req).ask(), req.recipe(),
                                        req.task))
    assert drawn[0] and drawn[0] != drawn[1]


def test_a_better_trial_is_compared_and_a_new_best_supersedes_it(tune_home, monkeypatch):
    """Dev scores faked so that a drawn trial beats the recipe (the comparison still trains
    for real): the tuned arm is trained beside the recipe; when a longer study finds another
    best, the former tuned runs are marked superseded and the report reads the current arms
    only."""
    from reports.tuning import load_tuning_rows
    from zoo import tune_study
    from zoo.tune import run_study
    from zoo.tune_space import DevFit, recipe_params

    recipe = recipe_params(_request(1, 3).recipe(), "sentiment")
    bonus = {"now": 10.0}  # any drawn trial beats the recipe; a later one, every earlier

    def fake_fit(spec, data, work_dir, corpus):
        overrides = dict(spec.overrides)
        score = 0.0 if overrides == recipe else bonus["now"] - abs(np.log(overrides["lr"]))
        return DevFit(score, 1, 1, 0.0, "early_stopped")

    monkeypatch.setattr(tune_study, "fit_on_dev", fake_fit)
    data = _data(tuple(EXAMPLES))
    first = run_study(_request(3, 3, (1,)), data, echo=lambda _: None)
    assert first.search.best_trial != 0
    assert {a.arm for a in first.arms} == {schema.ARM_RECIPE, schema.ARM_TUNED}
    best_lr = first.search.best_params["lr"]
    bonus["now"] = 100.0
    grown = run_study(_request(8, 3, (1,)), data, echo=lambda _: None)
    assert grown.search.best_params["lr"] != best_lr
    arms = sorted(r.data.tags[schema.TUNING_ARM] for r in _runs(schema.KIND_CELL, 3))
    assert arms == [schema.ARM_RECIPE, schema.ARM_SUPERSEDED, schema.ARM_TUNED]
    [row] = load_tuning_rows(studies=[_request(1, 3).study_name])
    assert float(row.overrides["lr"]) == pytest.approx(grown.search.best_params["lr"])


def test_ctrl_c_leaves_its_trial_to_run_again_and_one_process_runs_a_study(tune_home,
                                                                            monkeypatch):
    from zoo import tune_study
    from zoo.errors import ZooError
    from zoo.tune import run_study
    from zoo.tune_space import DevFit

    calls = []

    def fit_interrupted_once(spec, data, work_dir, corpus):
        calls.append(spec)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return DevFit(float(len(calls)), 1, 1, 0.0, "early_stopped")

    monkeypatch.setattr(tune_study, "fit_on_dev", fit_interrupted_once)
    data, req = _data(tuple(EXAMPLES)), _request(3, 4, (1,))
    with pytest.raises(KeyboardInterrupt):
        run_study(req, data, echo=lambda _: None)
    [parent] = _runs(schema.KIND_TUNING_STUDY, 4)
    assert parent.info.status == "KILLED"
    assert sorted(r.info.status for r in _runs(schema.KIND_TUNING_TRIAL, 4)) == ["FINISHED",
                                                                                "KILLED"]
    with tune_study.study_lock(req), pytest.raises(ZooError, match="another process"):
        run_study(req, data, echo=lambda _: None)
    again = run_study(req, data, echo=lambda _: None)
    assert again.search.ran_now == 2 and (again.search.complete, again.search.failed) == (3, 0)
    assert [r.info.status for r in _runs(schema.KIND_TUNING_STUDY, 4)] == ["FINISHED"]


@pytest.mark.parametrize(("argv", "says"), [
    (["no_such_model", "--dataset", "mr", "--trials", "3"], "unknown model 'no_such_model'"),
    (["tiny_lstm", "--dataset", "no_such_set", "--trials", "3"], "unknown dataset"),
    (["bilstm_crf_small", "--dataset", "mr", "--trials", "3"], "does not support task"),
    (["tfidf_logreg", "--dataset", "mr", "--trials", "3"], "no training recipe to tune"),
    (["bilstm_small_ort", "--dataset", "mr", "--trials", "3"], "tune 'bilstm_small'"),
    (["tiny_lstm", "--dataset", "mr", "--trials", "0"], "at least 1 trial"),
    (["tiny_lstm", "--dataset", "mr"], "needs a MODEL, --dataset and --trials"),
    (["--plan", "nightly"], "unknown plan 'nightly'"),
    (["--report"], "no MLflow store at"),
])
def test_bad_input_fails_with_one_line_before_any_work(zoo_home, capsys, argv, says):
    from zoo.cli import main

    assert main(["tune", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) == 1, err
    assert not zoo_home.exists()  # no store, study or model was created


def test_the_space_always_offers_the_recipe():
    from zoo.configs import TrainConfig
    from zoo.tune_space import SPACE, choices_of, knobs_for, recipe_params

    assert "label_smoothing" not in [k.field for k in knobs_for("sentiment")]
    assert "label_smoothing" in [k.field for k in knobs_for("translation")]
    batch = next(k for k in SPACE if k.field == "batch_size")
    assert choices_of(batch, 50) == (16, 32, 64, 50)  # the CNN's recipe value stays a choice
    params = recipe_params(TrainConfig(lr=5e-4, decay="inverse_sqrt"), "ner")
    assert params["decay"] == "inverse_sqrt" and params["lr"] == 5e-4


def test_a_changed_recipe_starts_a_new_study(monkeypatch):
    import dataclasses

    from zoo import tune_space

    before = _request(1).study_name
    assert _request(9).study_name == before  # the trial budget is not part of it
    real = tune_space.resolve_train_config
    monkeypatch.setattr(tune_space, "resolve_train_config",
                        lambda spec: dataclasses.replace(real(spec), patience=7))
    assert _request(1).study_name != before


def test_the_tuning_plan_names_from_scratch_families_that_resolve():
    from zoo.models import get_entry
    from zoo.tune import PLAN_TRIALS, TUNING_PLAN, plan_requests

    requests = plan_requests("tuning")
    assert [(r.model, r.dataset) for r in requests] == list(TUNING_PLAN)
    assert {r.dataset for r in requests} == {"mr", "wnut16"}
    assert all(r.trials == PLAN_TRIALS for r in requests)
    assert all(get_entry(m).kind == "neural" and not get_entry(m).pretrained
               for m, _ in TUNING_PLAN)


def _arm_runs(arm: str, seeds, study: str = "s") -> list[dict]:
    return [{"run_id": f"{arm}-{s}", "status": "FINISHED",
             "tags": {schema.TUNING_STUDY: study, schema.TUNING_ARM: arm, schema.TASK: "sentiment",
                      schema.MODEL: "lstm_small", schema.DATASET: "mr", schema.SEED: str(s),
                      schema.TRAIN_SIZE: "1.0"},
             "params": {schema.train_param("lr"): "0.001" if arm == "recipe" else "0.002"},
             "metrics": {schema.DEV_PRIMARY: 0.7, schema.TEST_PRIMARY: 0.7}} for s in seeds]


def _accuracy_stats(correct: int, n: int = 200) -> dict:
    """Accuracy's per-example stats (predicted id, gold id): the first `correct` right."""
    gold = np.zeros(n, dtype=int)
    predicted = np.where(np.arange(n) < correct, 0, 1)
    return {"stats": {"accuracy": np.stack([predicted, gold], axis=1).tolist()}}


@pytest.mark.parametrize(("recipe_correct", "tuned_correct", "expected"), [
    (140, 143, "no detectable difference"),  # +1.5 points, inside the noise of 200 examples
    (120, 170, "tuning gains significantly"),
    (170, 120, "recipe better"),
])
def test_the_verdict_follows_the_paired_bootstrap(recipe_correct, tuned_correct, expected):
    from reports.tuning import render_text, tuning_rows

    runs = _arm_runs("recipe", (1, 2)) + _arm_runs("tuned", (1, 2))
    stats = {r["run_id"]: _accuracy_stats(recipe_correct if r["run_id"].startswith("recipe")
                                          else tuned_correct) for r in runs}
    [row] = tuning_rows(runs, stats)
    assert row.comparison.diff == pytest.approx((tuned_correct - recipe_correct) / 2)
    assert row.verdict == expected
    assert (row.comparison.significant is False) == (expected == "no detectable difference")
    assert row.overrides == {"lr": "0.002"}
    assert expected in render_text([row])


def test_without_statistics_there_is_no_verdict():
    from reports.tuning import tuning_rows

    [row] = tuning_rows(_arm_runs("recipe", (1,)) + _arm_runs("tuned", (1,)), {})
    assert row.verdict.startswith("untested") and row.comparison.significant is None
    [same] = tuning_rows(_arm_runs("both", (1,)), {"both-1": _accuracy_stats(150)})
    assert same.verdict == "no detectable difference" and same.comparison.diff == 0.0


def test_the_tuning_flow_checks_its_plan_before_any_work():
    from flows.tuning import tuning
    from zoo.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown plan .nope."):
        tuning.fn(plan="nope")


def test_a_plans_studies_run_side_by_side_in_worker_processes(zoo_home, shared_data_cache,
                                                              monkeypatch):
    """`parallel` 2: two studies at once, each in its own process (their study runs overlap
    in time: one process runs them one after the other), both finished and tracked."""
    from zoo import tracking, tune

    monkeypatch.setenv("ZOO_DATA_CACHE", str(shared_data_cache))
    requests = [tune.check_request("tiny_lstm", "mr", 1, size=60, seed=seed, eval_seeds=(1,),
                                   profile="quick") for seed in (41, 42)]
    lines: list[str] = []
    assert tune.run_plan(requests, echo=lines.append, parallel=2) == []
    assert sorted(lines) == sorted(f"study {r.study_name} finished" for r in requests)
    exp = tracking.find_experiment_id(schema.TUNING_EXPERIMENT)
    studies = tracking.client().search_runs(
        [exp], f"tags.`{schema.KIND}` = '{schema.KIND_TUNING_STUDY}'")
    assert {r.data.tags[schema.TUNING_STUDY] for r in studies} == {
        r.study_name for r in requests}
    assert all(r.info.status == "FINISHED" for r in studies)
    (a, b) = sorted(studies, key=lambda r: r.info.start_time)
    assert b.info.start_time < a.info.end_time  # side by side, not one after the other
