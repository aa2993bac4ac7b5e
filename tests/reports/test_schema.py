"""Keys are named once (zoo.tracking.schema): every key the report reads is one the writers
write. Tiny cells go through the real writers (zoo.cells trains and measures, zoo.tracking
logs, the benchmark flow tags its parent run) into a fresh MLflow store; the schema's
REPORT_* keys are then looked up in what was logged, and the report is built from it."""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.toy_data import BY_TASK
from zoo.tracking import schema

ROOT = Path(__file__).resolve().parents[2]
PROFILE = "quick"  # a smoke profile (zoo.configs.Profile.smoke)
# An ELMo cell (a biLM of its own: pretrain/*; a frozen encoder under a scalar mix: mix/*), a
# classical one, a neural one left RUNNING after training, and one that fails.
FINISHED = ("tiny_elmo_frozen", "tfidf_logreg")
RUNNING, FAILED = "tiny_lstm", "majority_class"
OVERRIDES = (("epochs", 2), ("pretrain_max_steps", 3))
TEXT = tuple(f"{s} {v} {o} .".split() for s in ("the cat", "a dog", "my friend", "the film")
             for v in ("likes", "sees", "hates") for o in ("the park", "a movie", "good food"))


def _data():
    examples = tuple(BY_TASK["sentiment"])
    return SimpleNamespace(splits={"train": examples, "dev": examples, "test": examples},
                           labels=("neg", "pos"), fingerprint="e" * 64,
                           card=SimpleNamespace(language="en"))


def _corpus(language: str):
    from zoo.corpus import PretrainCorpus

    return PretrainCorpus(language, ("toy-a", "toy-b"), tuple(map(tuple, TEXT * 2)), "c" * 64)


def _spec(model: str):
    from zoo.cells import CellSpec

    return CellSpec("sentiment", "toy", model, 1.0, 1, profile=PROFILE, overrides=OVERRIDES)


def _log_cell(exp: str, parent: str, model: str, work: Path, stage: str) -> str:
    """What zoo.sweep.run.train_tracked and measure_tracked log, in this process."""
    from zoo import tracking
    from zoo.cells import measure_cell, resolve_cell, train_cell
    from zoo.measure import environment
    from zoo.sweep.run_record import cell_params, cell_tags, log_trained_cell

    data = _data()
    cell = resolve_cell(_spec(model), data.fingerprint)
    run_id = tracking.start_cell_run(exp, parent, cell.label, cell.key,
                                     cell_tags(cell, environment()), cell_params(cell))
    if stage == "failed":
        tracking.fail_cell_run(run_id, "RuntimeError: boom")
        return run_id
    began = time.time()
    trained = train_cell(cell, data, work, corpus=_corpus)
    log_trained_cell(run_id, trained, (began, time.time()))
    if stage == "measured":
        tracking.log_metrics(run_id, measure_cell(Path(trained.model_dir), data,
                                                  latency_calls=5))
        tracking.log_tags(run_id, {schema.STAGE: schema.STAGE_MEASURED})
        tracking.finish_run(run_id)
    return run_id


@pytest.fixture(scope="module")
def logged(_pristine_db, tmp_path_factory):
    """(cell runs by model, the parent run), as zoo.tracking.load_runs reads them back."""
    from flows.benchmark import parent_tags
    from zoo import tracking
    from zoo.device import ENV

    home = tmp_path_factory.mktemp("schema-home")
    shutil.copy(_pristine_db, home / "mlflow.db")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZOO_HOME", str(home))
        mp.setenv(ENV, "cpu")
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        exp = tracking.experiment_id("schema")
        models = (*FINISHED, RUNNING, FAILED)
        parent = tracking.start_parent_run(exp, f"benchmark-{PROFILE}", parent_tags(
            PROFILE, [_spec(m) for m in models], 1, 1))
        stages = {**dict.fromkeys(FINISHED, "measured"), RUNNING: "trained", FAILED: "failed"}
        for model, stage in stages.items():
            _log_cell(exp, parent, model, home / "models", stage)
        tracking.finish_run(parent)
        runs = {r["tags"][schema.MODEL]: r for r in tracking.load_runs("schema")}
        (parent_run,) = tracking.load_parent_runs("schema")
    return runs, parent_run


def _absent(keys, logged_keys) -> list[str]:
    return [k for k in keys if k not in logged_keys]


def test_every_tag_and_metric_the_report_reads_is_logged(logged):
    from reports.runs import QUALITY

    runs, _ = logged
    quality = [schema.test_metric(m, suffix) for m in QUALITY["sentiment"]
               for suffix in ("", schema.CI_LOW, schema.CI_HIGH)]
    for model in FINISHED:
        run = runs[model]
        assert run["status"] == "FINISHED", model
        assert not _absent(schema.REPORT_CELL_TAGS, run["tags"]), model
        assert not _absent((*schema.REPORT_CELL_METRICS, *quality), run["metrics"]), model
    elmo = runs["tiny_elmo_frozen"]["metrics"]
    layers = round(elmo[schema.MIX_LAYERS])
    assert not _absent((*schema.REPORT_NEURAL_METRICS, *schema.REPORT_BILM_METRICS,
                        *schema.REPORT_MIX_METRICS, *map(schema.mix_layer, range(layers))), elmo)
    assert schema.mix_layer(layers) not in elmo
    running, failed = runs[RUNNING], runs[FAILED]
    assert running["status"] == "RUNNING" and not _absent(schema.REPORT_RUNNING_TAGS,
                                                          running["tags"])
    assert failed["status"] == "FAILED" and not _absent(schema.REPORT_FAILED_TAGS, failed["tags"])


def test_the_parent_run_carries_the_plan_and_the_profile(logged):
    _, parent = logged
    tags = parent["tags"]
    assert not _absent((*schema.REPORT_PARENT_TAGS, schema.plan_sizes(), schema.plan_seeds(),
                        schema.plan_sizes("toy"), schema.plan_seeds("toy")), tags)
    assert tags[schema.KIND] == schema.KIND_BENCHMARK and tags[schema.SMOKE] == "true"


def test_the_report_reads_what_was_logged(logged):
    """The keys resolve to values: the cell's fields, its stop state, smoke from the tag alone
    (no profile names passed), the plan, the biLM and the layer mix."""
    from reports.build import build_report
    from reports.runs import plan_of, to_cell
    from reports.usable import run_stop

    runs, parent = logged
    elmo = to_cell(runs["tiny_elmo_frozen"])
    assert (elmo.family, elmo.encoder_mode, elmo.n_train, elmo.smoke) == ("elmo", "frozen", 6,
                                                                          True)
    assert elmo.env_id != "?" and elmo.twins == {"finetuned": "tiny_elmo_finetune"}
    tfidf = to_cell(runs["tfidf_logreg"])
    assert run_stop(tfidf.model, tfidf.family, tfidf.tags, tfidf.metrics).stop_reason == "fitted"
    assert to_cell(runs[FAILED]).error == "RuntimeError: boom"
    assert to_cell(runs[RUNNING]).stage == schema.STAGE_TRAINED
    assert plan_of(parent["tags"]) == {"toy": (["1.0"], ["1"], {})}
    report = build_report(list(runs.values()), [parent], "schema")
    assert report.smoke and report.profiles == [PROFILE]
    assert [p.models for p in report.pretraining] == [("tiny_elmo_frozen",)]
    assert report.pretraining[0].corpus_datasets == 2
    assert [r.model for r in report.running] == [RUNNING]


# Literals shaped like an MLflow key: <family>/<name> metrics, zoo.* / plan.* / note.* tags.
KEY_LIKE = re.compile(r"(test|dev|train|pretrain|mix|latency|throughput|size|curve|cells|"
                      r"sweep|measure|eval)/[a-z_0-9./]*|(zoo|plan|note|mlflow)\.[A-Za-z_.]+")


def test_reports_name_no_mlflow_key_themselves():
    """reports/ reads keys through zoo.tracking.schema only (f-string parts count too)."""
    found = []
    for path in sorted((ROOT / "reports").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and KEY_LIKE.fullmatch(node.value)):
                found.append(f"{path.name}:{node.lineno} {node.value!r}")
    assert not found, found


def test_the_schema_and_the_report_rows_import_without_torch_or_mlflow():
    code = ("import sys, zoo.tracking.schema, reports.runs; "
            "print(sorted(m for m in ('torch', 'mlflow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_each_task_has_one_primary_metric_everywhere():
    from reports.runs import QUALITY, primary_metric

    assert {t: QUALITY[t][0] for t in QUALITY} == dict(schema.PRIMARY_METRIC)
    assert all(primary_metric(t) == m for t, m in schema.PRIMARY_METRIC.items())
