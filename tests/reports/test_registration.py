"""From decision to artifact: the report only reads; `zoo register` (publish/register.py)
registers the recommended model under a scenario alias, and it loads with mlflow.pyfunc
(a real, tiny TF-IDF model trained on toy data)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from publish.register import register_experiment
from reports.registrations import registry_client
from reports.render import render_report
from tests.reports.factory import floor_run, log_runs, make_run
from tests.toy_data import SENTIMENT, info_for
from zoo import tracking
from zoo.cli import main
from zoo.models import create_model
from zoo.predictors import save_model


@pytest.fixture
def trained_folder(tmp_path):
    info = info_for("sentiment")
    model = create_model("tfidf_logreg", info)
    model.fit(SENTIMENT, SENTIMENT)
    folder = tmp_path / "tfidf-model"
    save_model(folder, "tfidf_logreg", model, None, info)
    return folder


@pytest.fixture
def store_registry(fresh_store):
    """mlflow's process-wide tracking and registry URIs pointed at this test's store: an
    earlier test's registration left them at its own store."""
    import mlflow

    mlflow.set_tracking_uri(tracking.tracking_uri())
    mlflow.set_registry_uri(tracking.tracking_uri())
    return fresh_store


def _summary(path) -> dict:
    return json.loads((path.parent / "summary.json").read_text())


def test_report_registers_nothing_and_zoo_register_does(store_registry, trained_folder,
                                                        tmp_path, capfd):
    import mlflow

    fast = make_run("tfidf_logreg", quality=0.90, p50=0.05,
                    tags={"zoo.model_dir": str(trained_folder)})
    slow = make_run("lstm_small", quality=0.95, p50=30.0)  # its folder is not on this machine
    ids = log_runs([fast, slow], "reg")
    path = render_report("reg", tmp_path / "out")
    assert registry_client().search_registered_models() == []  # the report only reads
    regs = {r["alias"]: r for r in _summary(path)["registered"]}
    assert regs["best-under-1ms"]["status"] == "planned"
    assert "run `zoo register`" in regs["best-under-1ms"]["reason"]
    assert "not on this machine" in regs["best-quality"]["reason"]
    assert "none of these picks is registered yet" in path.read_text()

    assert main(["register", "--experiment", "reg"]) == 0
    captured = capfd.readouterr()
    lines = captured.out.splitlines()
    assert any(line.startswith("registered") and "models:/reg-sentiment-mr@best-under-1ms"
               " -> version 1 (tfidf_logreg)" in line for line in lines), lines
    assert any(line.startswith("skipped") and "@best-quality" in line for line in lines)
    assert "Successfully registered" not in captured.err  # no MLflow chatter
    c = registry_client()
    version = c.get_model_version_by_alias("reg-sentiment-mr", "best-under-1ms")
    assert version.run_id == ids[fast["run_id"]]  # linked to the cell run that trained it
    assert c.get_registered_model("reg-sentiment-mr").aliases["best-under-20ms"] == \
        version.version

    # Rendered again, the report reads the registered version from the registry.
    again = render_report("reg", tmp_path / "out2")
    regs = {r["alias"]: r for r in _summary(again)["registered"]}
    assert regs["best-under-1ms"]["status"] == "registered"
    assert regs["best-under-1ms"]["version"] == str(version.version)
    assert 'mlflow.pyfunc.load_model("models:/reg-sentiment-mr@best-under-1ms")' in \
        again.read_text()

    mlflow.set_tracking_uri(tracking.tracking_uri())
    model = mlflow.pyfunc.load_model("models:/reg-sentiment-mr@best-under-1ms")
    out = model.predict(pd.DataFrame({"text": ["A great, fun film!", "Dull and boring."]}))
    assert list(out["prediction"]) == ["pos", "neg"]
    assert list(out["tokens"][0]) == ["a", "great", ",", "fun", "film", "!"]

    # Registering again reuses the registered version instead of logging the model again.
    statuses = {r.alias: r.status for r in register_experiment("reg")}
    assert statuses["best-under-1ms"] == "reused"
    assert len(c.search_model_versions("name = 'reg-sentiment-mr'")) == 1


def test_unusable_picks_are_not_registered_and_stale_aliases_are_removed(
        store_registry, trained_folder, tmp_path):
    folder = {"zoo.model_dir": str(trained_folder)}
    fast = make_run("tfidf_logreg", quality=0.90, p50=0.05, tags=folder)
    # The most accurate and fastest of all, but time-capped: never registered.
    capped = make_run("gru_small", quality=0.99, p50=0.02, stop="time_cap", tags=folder)
    floor = floor_run(quality=0.50, p50=0.01, tags=folder)
    ids = log_runs([fast, capped, floor], "stale")
    regs = register_experiment("stale")
    assert {r.model for r in regs} == {"tfidf_logreg"}
    c = registry_client()
    assert "best-under-1ms" in c.get_registered_model("stale-sentiment-mr").aliases
    registered_runs = {v.run_id for v in c.search_model_versions("name = 'stale-sentiment-mr'")}
    assert registered_runs == {ids[fast["run_id"]]}

    # A re-run of the same cell is now time-capped: no usable pick is left for any scenario.
    log_runs([make_run("tfidf_logreg", quality=0.90, p50=0.05, stop="time_cap", tags=folder)],
             "stale")
    report = render_report("stale", tmp_path / "out")
    stale = {r["alias"]: r for r in _summary(report)["registered"]}
    assert stale["best-under-1ms"]["status"] == "stale"  # shown, and still in the registry
    assert "best-under-1ms" in c.get_registered_model("stale-sentiment-mr").aliases

    removed = {r.alias: r for r in register_experiment("stale") if r.status == "removed"}
    assert "best-under-1ms" in removed and "best-quality" in removed
    assert "No converged model above the floor" in removed["best-under-1ms"].reason
    assert not any(a.startswith(("best-", "smallest-"))
                   for a in c.get_registered_model("stale-sentiment-mr").aliases)
    summary = _summary(render_report("stale", tmp_path / "out2"))
    assert summary["registered"] == []
    assert all(w["model"] == "" and w["usable"] is False for w in summary["winners"])


def test_zoo_register_refuses_a_missing_or_empty_experiment(store_registry, capsys):
    assert main(["register", "--experiment", "no-such"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("zoo: error: no experiment 'no-such'") and "\n" not in err
    tracking.experiment_id("empty")  # exists, but no benchmark ran in it
    assert main(["register", "--experiment", "empty"]) == 2
    err = capsys.readouterr().err.strip()
    assert "has no cell runs yet" in err and "\n" not in err
    assert registry_client().search_registered_models() == []
