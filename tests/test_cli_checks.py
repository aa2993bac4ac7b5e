"""Bad input and unreachable servers fail with one line that names the thing and the fix,
before any work starts: nothing downloaded, no store created, no report overwritten.
Run as a user would, `python -m zoo.cli` in a fresh ZOO_HOME."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:  # bound, then closed: nothing listens there afterwards
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _zoo(home: Path, *args: str, **env: str) -> tuple[int, str, float]:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("MLFLOW_TRACKING_URI", "PREFECT_API_URL")}
    environ.update(ZOO_HOME=str(home), PYTHONPATH=str(ROOT), **env)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "zoo.cli", *args], env=environ, cwd=home.parent,
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stderr.strip(), time.monotonic() - started


@pytest.mark.parametrize("args, message", [
    (("--sizes", "0"), "training size '0': a count must be at least 1"),
    (("--sizes", "1.5"), "training size '1.5': a fraction must be in (0, 1]"),
    (("--seeds", "-1"), "seed '-1' must be in [0, 2**32)"),
    (("--seeds", "abc"), "seed 'abc' is not a whole number"),
    (("--set", "epochs=abc"), "TrainConfig.epochs must be int, got 'abc' (e.g. --set epochs=3)"),
    (("--parallel", "-1"), "argument --parallel: '-1' is not a whole number of at least 1"),
    (("--sizes", "9000"), "training size 9000 is larger than mr's training split (about 8,484 "
                          "examples); use a count up to 8,484"),
    (("--datasets", " , "), "argument --datasets: ' , ' names nothing"),
])
def test_bad_matrix_input_fails_before_any_work(tmp_path, args, message):
    home = tmp_path / "home"
    code, err, _ = _zoo(home, "bench", "--models", "tfidf_logreg", "--datasets", "mr", *args)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert not (home / "data").exists() and not (home / "mlflow.db").exists()


def test_dry_run_prints_the_plan_and_creates_nothing(tmp_path):
    """No training, no data, no MLflow store, no Prefect home: the plan, what is finished
    (nothing, in a fresh home) and a rough estimate."""
    home = tmp_path / "home"
    environ = {k: v for k, v in os.environ.items()
               if k not in ("MLFLOW_TRACKING_URI", "PREFECT_API_URL", "PREFECT_HOME")}
    environ.update(ZOO_HOME=str(home), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "zoo.cli", "bench", "--dry-run", "--models",
                           "tfidf_logreg,tiny_lstm", "--datasets", "mr,wnut16", "--sizes",
                           "500,0.1", "--seeds", "1,2", "--parallel", "2"], env=environ,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Plan: 20 cells, 2 in parallel")
    # mr: both models and the floor; wnut16: tiny_lstm (tfidf_logreg is sentence-only), all_o.
    assert "  mr (sentiment): 12 cells, 0 finished" in lines
    assert "    models: tfidf_logreg, tiny_lstm, majority_class" in lines
    assert "    sizes: 500, ~848 (0.1)" in lines  # a fraction shown as the count it means
    assert "    seeds: 1, 2" in lines
    assert "  wnut16 (ner): 8 cells, 0 finished" in lines
    assert "Finished in the store ('nlp-zoo'): 0 of 20; to run: 20" in lines
    assert lines[-1].startswith("Estimate (rough:")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing created, home included


def test_six_field_cron_is_refused(tmp_path):
    code, err, _ = _zoo(tmp_path / "home", "schedule", "--cron", "0 3 * * * *",
                        "--models", "tfidf_logreg", "--datasets", "mr")
    assert code == 2 and "malformed cron string '0 3 * * * *'; use five fields" in err


@pytest.mark.parametrize("variable, value, message", [
    ("MLFLOW_TRACKING_URI", "http://127.0.0.1:{port}", "MLflow tracking server"),
    ("PREFECT_API_URL", "http://127.0.0.1:{port}/api", "Prefect server"),
])
def test_unreachable_servers_fail_in_seconds(tmp_path, variable, value, message):
    home = tmp_path / "home"
    code, err, seconds = _zoo(home, "bench", "--models", "tfidf_logreg", "--datasets", "mr",
                              **{variable: value.format(port=_free_port())})
    assert code == 2 and message in err and variable in err and "Traceback" not in err
    assert seconds < 10.0, f"answered in {seconds:.1f} s"  # imports included
    assert not (home / "data").exists()


def test_report_of_a_misspelt_experiment_or_missing_store_writes_nothing(tmp_path):
    home = tmp_path / "home"
    from mlflow import MlflowClient

    home.mkdir()
    MlflowClient(tracking_uri=f"sqlite:///{home / 'mlflow.db'}").create_experiment("nlp-zoo")
    report = home / "report" / "index.html"
    report.parent.mkdir()
    report.write_text("the good report")
    code, err, _ = _zoo(home, "report", "--experiment", "nlp-zo")
    assert code == 2 and "no experiment 'nlp-zo'" in err and "nlp-zoo" in err
    assert report.read_text() == "the good report"
    elsewhere = tmp_path / "typo-home"
    code, err, _ = _zoo(elsewhere, "report")
    assert code == 2 and f"no MLflow store at {elsewhere / 'mlflow.db'}" in err
    assert not elsewhere.exists()  # no empty store created


def test_zoo_models_fits_80_columns_and_hides_test_models(tmp_path):
    environ = {**os.environ, "ZOO_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    out = subprocess.run([sys.executable, "-m", "zoo.cli", "models", "--no-params"],
                         env=environ, capture_output=True, text=True, timeout=120).stdout
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80 and "…" not in out
    assert not any(line.strip().startswith("tiny_") for line in lines)
    assert "test-sized tiny_* models not shown (--all shows them)" in out
    floor = next(line for line in lines if line.strip().startswith("all_o "))
    assert floor.split()[-1] == "classical"  # not "torch"
