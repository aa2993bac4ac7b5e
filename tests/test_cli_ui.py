"""`zoo ui` tells where to browse what: MLflow, Prefect, the report."""
from __future__ import annotations

from zoo.cli import ui_guide


def test_ui_guide_names_all_three_places(monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    text = ui_guide("sqlite:///x.db", "127.0.0.1", 5000, "http://127.0.0.1:4200/api")
    assert "http://127.0.0.1:5000" in text and "sqlite:///x.db" in text
    assert "Prefect UI (flow runs, schedules, report artifacts): http://127.0.0.1:4200" in text
    assert str(tmp_path / "report" / "index.html") in text


def test_ui_guide_without_a_prefect_server_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    text = ui_guide("sqlite:///x.db", "127.0.0.1", 5000, None)
    assert "prefect server start --host 127.0.0.1" in text and "PREFECT_API_URL" in text
