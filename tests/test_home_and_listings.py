"""ZOO_HOME's paths have one owner (zoo.home), and the listing commands stay instant: `zoo
datasets` and `zoo models`, from a fresh ZOO_HOME (nothing cached), import no torch, MLflow,
Prefect or scikit-learn, nor any model family, and end quietly when their reader leaves
(`zoo models | head -1`)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zoo import home

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "mlflow", "prefect", "sklearn")
# Runs the CLI in a fresh interpreter, then names the heavy packages it imported (and the
# model families: the listing reads zoo.model_index, not the registry).
CHILD = ("import sys, zoo.cli\n"
         "code = zoo.cli.main(sys.argv[1:])\n"
         "heavy = sorted({m.split('.')[0] for m in sys.modules} & set(" + repr(HEAVY) + ")\n"
         "               | {m for m in sys.modules if m.startswith(('zoo.models', "
         "'zoo.families'))})\n"
         "print('HEAVY', ','.join(heavy), file=sys.stderr)\n"
         "sys.exit(code)\n")


def test_every_path_lives_under_zoo_home(zoo_home, monkeypatch):
    monkeypatch.delenv("ZOO_DATA_CACHE", raising=False)
    assert home.zoo_home() == zoo_home.resolve()
    expected = {
        home.mlflow_db(): "mlflow.db", home.mlflow_artifacts_dir(): "mlartifacts",
        home.store_lock_path(): "bench.lock", home.store_holder_path(): "bench.holder",
        home.data_cache_dir(): "data", home.prepared_dir(): "data/prepared",
        home.checkpoint_dir("minilm"): "data/pretrained/minilm", home.models_dir(): "models",
        home.pretraining_dir(): "pretrained", home.user_cards_dir(): "datasets",
        home.user_card_file("mine"): "datasets/mine.json", home.report_dir(): "report",
        home.default_prefect_home(): "prefect"}
    assert {path: path.relative_to(zoo_home).as_posix() for path in expected} == expected
    assert home.default_tracking_uri() == f"sqlite:///{zoo_home / 'mlflow.db'}"


def test_zoo_home_defaults_to_dot_zoo_and_resolves_a_relative_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ZOO_HOME", raising=False)
    assert home.zoo_home() == tmp_path.resolve() / ".zoo"
    monkeypatch.setenv("ZOO_HOME", "elsewhere")
    assert home.zoo_home() == tmp_path.resolve() / "elsewhere"
    assert home.models_dir() == tmp_path.resolve() / "elsewhere" / "models"


def test_zoo_data_cache_moves_the_data_cache_only(zoo_home, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA_CACHE", str(tmp_path / "shared"))
    assert home.data_cache_dir() == (tmp_path / "shared").resolve()
    assert home.prepared_dir() == (tmp_path / "shared" / "prepared").resolve()
    assert home.checkpoint_dir("c") == (tmp_path / "shared" / "pretrained" / "c").resolve()
    assert home.models_dir() == zoo_home.resolve() / "models"
    assert home.user_cards_dir() == zoo_home.resolve() / "datasets"


def test_the_callers_use_home(zoo_home, monkeypatch):
    from zoo import store_lock, tracking

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking.tracking_uri() == home.default_tracking_uri()
    assert tracking.state_dir() == home.zoo_home()  # kept for reports/ and benchmarks/
    assert store_lock.lock_path() == home.store_lock_path()


def test_nothing_else_reads_zoo_home_or_names_its_files():
    """Paths are named once: no other product module reads ZOO_HOME / ZOO_DATA_CACHE or
    spells a file of the home."""
    spelled = ('"ZOO_HOME"', '"ZOO_DATA_CACHE"', '".zoo"', '"mlflow.db"', '"bench.lock"',
               '"mlartifacts"', "state_dir()")
    found = [f"{path.relative_to(ROOT)}: {word}"
             for folder in ("zoo", "flows") for path in sorted((ROOT / folder).rglob("*.py"))
             if path.name != "home.py"
             for word in spelled if word in path.read_text(encoding="utf-8")]
    assert not found, found


def _zoo(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    return subprocess.run([sys.executable, "-c", CHILD, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def _heavy(stderr: str) -> list[str]:
    line = next(ln for ln in stderr.splitlines() if ln.startswith("HEAVY"))
    return [name for name in line.removeprefix("HEAVY").strip().split(",") if name]


# A listing took 15-27 s from a fresh clone when it imported torch and every family to fill
# a cache; the goal is under 1 s on an idle machine. The bound here is loose (a shared 2-core
# machine, interpreter start included) but still fails on any torch import.
LISTING_SECONDS = 5.0


@pytest.mark.parametrize("args", [("models",), ("models", "--all", "bilstm*"), ("datasets",),
                                  ("datasets", "mr")])
def test_a_listing_from_a_fresh_home_imports_nothing_heavy(zoo_home, args):
    started = time.perf_counter()
    result = _zoo(*args)
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stderr[-2000:]
    assert _heavy(result.stderr) == []
    assert ("bilstm_small" if args[0] == "models" else "mr") in result.stdout
    assert seconds < LISTING_SECONDS, f"zoo {' '.join(args)} took {seconds:.1f} s"
    assert not zoo_home.exists()  # a listing writes nothing under ZOO_HOME


@pytest.mark.parametrize("command", ["models --all", "datasets"])
def test_a_reader_that_leaves_gets_no_traceback(zoo_home, command):
    """`zoo models | head -1` as a shell runs it, and a reader gone before the first write
    (the write then always fails): quiet, with a shell tool's status for SIGPIPE."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    shell = subprocess.run(["bash", "-c", f"'{sys.executable}' -m zoo.cli {command} | head -1"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                           check=False)
    assert shell.returncode == 0 and shell.stdout.strip(), shell.stderr
    assert shell.stderr == ""
    gone = subprocess.Popen([sys.executable, "-m", "zoo.cli", *command.split()], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    gone.stdout.close()
    _, err = gone.communicate(timeout=120)
    assert err.decode() == "" and gone.returncode == 141
