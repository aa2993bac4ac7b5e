"""Regression watch: a re-run cell against its previous completed run."""
from __future__ import annotations

from reports.regressions import changes
from reports.runs import to_cells
from tests.reports.factory import ENV_B, make_run


def test_quality_drop_beyond_ci_and_latency_increase_are_flagged():
    old = make_run("m", quality=0.80, ci=0.02, p50=1.0)
    new = make_run("m", quality=0.75, p50=1.3, tags={"git_sha": "new-sha"})
    (change,) = changes(to_cells([old, new]))
    assert change.flags == ("quality drop", "latency +30 %")
    assert change.previous.run_id == old["run_id"] and change.cell.run_id == new["run_id"]
    assert change.context == ("code abc123def456 → new-sha",)


def test_noise_within_ci_and_small_latency_changes_are_not_flagged():
    old = make_run("m", quality=0.80, ci=0.02, p50=1.0)
    new = make_run("m", quality=0.79, p50=1.05)
    (change,) = changes(to_cells([old, new]))
    assert change.flags == () and change.improvements == ()


def test_improvements_and_profile_changes():
    old = make_run("m", quality=0.70, ci=0.02, p50=2.0)
    faster = make_run("m", quality=0.80, p50=1.0)
    (change,) = changes(to_cells([old, faster]))
    assert change.improvements == ("quality gain", "latency −50 %")
    other_profile = make_run("m", quality=0.50, p50=9.0, profile="quick")
    (change,) = changes(to_cells([old, other_profile]))
    assert not change.comparable and change.flags == ()
    assert "profile standard → quick" in change.context


def test_only_same_cell_and_finished_runs_are_compared():
    runs = [make_run("m", quality=0.8), make_run("m", quality=0.5, env=ENV_B),
            make_run("m", quality=0.5, seed=2), make_run("m", quality=None, status="FAILED")]
    assert changes(to_cells(runs)) == []
