"""From decision to artifact: the recommended model is registered under a scenario alias and
loads with mlflow.pyfunc (a real, tiny TF-IDF model trained on toy data)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from reports.render import render_report
from tests.reports.factory import log_runs, make_run
from tests.toy_data import SENTIMENT, info_for
from zoo import tracking
from zoo.predictors import save_model
from zoo.registry import create_model


@pytest.fixture
def trained_folder(tmp_path):
    info = info_for("sentiment")
    model = create_model("tfidf_logreg", info)
    model.fit(SENTIMENT, SENTIMENT)
    folder = tmp_path / "tfidf-model"
    save_model(folder, "tfidf_logreg", model, None, info)
    return folder


def test_recommended_model_is_registered_and_loadable(fresh_store, trained_folder, tmp_path,
                                                      capfd):
    import mlflow

    fast = make_run("tfidf_logreg", quality=0.90, p50=0.05,
                    tags={"zoo.model_dir": str(trained_folder)})
    slow = make_run("lstm_small", quality=0.95, p50=30.0)  # its folder is not on this machine
    ids = log_runs([fast, slow], "reg")
    path = render_report("reg", tmp_path / "out")
    regs = {r["alias"]: r for r in json.loads((path.parent / "summary.json").read_text())
            ["registered"]}
    assert regs["best-under-1ms"]["model"] == "tfidf_logreg"
    assert regs["best-under-1ms"]["status"] == "registered"
    assert "Successfully registered" not in capfd.readouterr().err  # no MLflow chatter
    assert regs["best-under-1ms"]["uri"] == "models:/reg-sentiment-mr@best-under-1ms"
    assert regs["best-quality"]["status"] == "skipped"  # listed, with the reason
    assert "not on this machine" in regs["best-quality"]["reason"]
    html = path.read_text()
    assert 'mlflow.pyfunc.load_model("models:/reg-sentiment-mr@best-under-1ms")' in html

    c = tracking.client()
    version = c.get_model_version_by_alias("reg-sentiment-mr", "best-under-1ms")
    assert version.run_id == ids[fast["run_id"]]  # linked to the cell run that trained it
    assert c.get_registered_model("reg-sentiment-mr").aliases["best-under-20ms"] == \
        version.version

    mlflow.set_tracking_uri(tracking.tracking_uri())
    model = mlflow.pyfunc.load_model("models:/reg-sentiment-mr@best-under-1ms")
    out = model.predict(pd.DataFrame({"text": ["A great, fun film!", "Dull and boring."]}))
    assert list(out["prediction"]) == ["pos", "neg"]
    assert list(out["tokens"][0]) == ["a", "great", ",", "fun", "film", "!"]

    # Rendering again reuses the registered version instead of logging the model again.
    again = render_report("reg", tmp_path / "out2")
    regs = {r["alias"]: r for r in json.loads((again.parent / "summary.json").read_text())
            ["registered"]}
    assert regs["best-under-1ms"]["status"] == "reused"
    assert len(c.search_model_versions("name = 'reg-sentiment-mr'")) == 1


def test_unusable_picks_are_not_registered_and_stale_aliases_are_removed(
        fresh_store, trained_folder, tmp_path):
    import mlflow

    from tests.reports.factory import floor_run

    # zoo.tracking.client() inherits mlflow's process-wide registry URI, which the test above
    # pointed at its own store (a zoo-side issue); point it at this test's store.
    mlflow.set_tracking_uri(tracking.tracking_uri())
    mlflow.set_registry_uri(tracking.tracking_uri())
    folder = {"zoo.model_dir": str(trained_folder)}
    fast = make_run("tfidf_logreg", quality=0.90, p50=0.05, tags=folder)
    # The most accurate and fastest of all, but time-capped: never registered.
    capped = make_run("gru_small", quality=0.99, p50=0.02, stop="time_cap", tags=folder)
    floor = floor_run(quality=0.50, p50=0.01, tags=folder)
    ids = log_runs([fast, capped, floor], "stale")
    path = render_report("stale", tmp_path / "out")
    regs = json.loads((path.parent / "summary.json").read_text())["registered"]
    assert {r["model"] for r in regs} == {"tfidf_logreg"}
    c = tracking.client()
    aliases = c.get_registered_model("stale-sentiment-mr").aliases
    assert "best-under-1ms" in aliases
    registered_runs = {v.run_id for v in c.search_model_versions("name = 'stale-sentiment-mr'")}
    assert registered_runs == {ids[fast["run_id"]]}

    # A re-run of the same cell is now time-capped: no usable pick is left for any scenario.
    log_runs([make_run("tfidf_logreg", quality=0.90, p50=0.05, stop="time_cap", tags=folder)],
             "stale")
    again = render_report("stale", tmp_path / "out2")
    summary = json.loads((again.parent / "summary.json").read_text())
    removed = {r["alias"]: r for r in summary["registered"] if r["status"] == "removed"}
    assert "best-under-1ms" in removed and "best-quality" in removed
    assert "No converged model above the floor" in removed["best-under-1ms"]["reason"]
    assert not any(a.startswith(("best-", "smallest-"))
                   for a in c.get_registered_model("stale-sentiment-mr").aliases)
    assert all(w["model"] == "" and w["usable"] is False for w in summary["winners"])
