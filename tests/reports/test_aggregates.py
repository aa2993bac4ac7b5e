"""Seed aggregates in MLflow (publish/aggregates.py, zoo/tracking/aggregate_runs.py): one run
per leaderboard row on a hand-made store, carrying the report's own numbers; rewritten in
place when the row gains a seed; invisible to the report's loaders and the sweep's lookups."""
from __future__ import annotations

import math
import statistics

import pytest

from publish.aggregates import aggregate_runs, publish_aggregates, t_interval
from reports.build import build_report
from reports.render import load_report
from tests.reports.factory import floor_run, log_runs, make_run, with_stats
from zoo import tracking
from zoo.cli import main
from zoo.tracking import schema

EXP = "agg"
# model -> accuracy of seeds 1, 2 and 3 at the full size; the floor sits at 0.5.
MODELS = {"tfidf_logreg": (0.78, 0.80, 0.79), "lstm_small": (0.70, 0.74, 0.72)}
SIZES = (("0.5", 4000), ("1.0", 8000))


def _runs(seeds=(1, 2)) -> tuple[list[dict], dict]:
    """mr: the floor and two models at two sizes, per-example stats on every run."""
    runs, stats = [], {}
    for size, n in SIZES:
        for seed in seeds:
            made = [floor_run(n=n, size=size, seed=seed, ci=0.0)]
            made += [make_run(model, n=n, size=size, seed=seed, p50=1.0 + seed,
                              quality=levels[seed - 1] - (0.03 if n < 8000 else 0.0))
                     for model, levels in MODELS.items()]
            for run in made:
                run, stats[run["run_id"]] = with_stats(run)
                runs.append(run)
    return runs, stats


def _aggregates() -> dict[str, object]:
    """AGGREGATE_KEY -> the live aggregate run."""
    c = tracking.client()
    exp = tracking.find_experiment_id(EXP)
    found = c.search_runs([exp], f"tags.`{schema.KIND}` = '{schema.KIND_AGGREGATE}'")
    return {r.data.tags[schema.AGGREGATE_KEY]: r for r in found}


def _row_run(model: str, n: int):
    return next(r for r in _aggregates().values()
                if r.data.tags[schema.MODEL] == model and r.data.tags["train_examples"] == str(n))


@pytest.fixture
def store(fresh_store):
    runs, stats = _runs()
    ids = log_runs(runs, EXP, stats)
    return runs, stats, ids


def test_one_aggregate_run_per_row_with_the_reports_numbers(store):
    runs, _stats, ids = store
    written = publish_aggregates(EXP)
    report, _ = load_report(EXP, analysis=False)
    rows = [(s, r) for s in report.sections for rows in s.rows_by_size.values() for r in rows]
    assert len(rows) == 6  # 3 models x 2 sizes
    assert (written.created, written.updated, written.deleted) == (6, 0, 0)
    assert len(_aggregates()) == 6

    run = _row_run("tfidf_logreg", 8000)
    m, tags = run.data.metrics, run.data.tags
    seed_acc = [r["metrics"]["test/accuracy"] for r in runs
                if r["tags"]["model"] == "tfidf_logreg" and r["tags"]["train_size"] == "1.0"]
    assert m["test/primary"] == pytest.approx(statistics.fmean(seed_acc))
    assert m["test/accuracy"] == pytest.approx(statistics.fmean(seed_acc))
    assert m["test/primary_sd"] == pytest.approx(statistics.stdev(seed_acc))
    section = report.sections[0]
    row = next(r for r in section.rows if r.model == "tfidf_logreg")
    assert m["test/primary_ci_low"] == pytest.approx(row.quality["accuracy"].ci_low / 100)
    assert m["aggregate/seeds"] == 2 and m["train/examples"] == 8000
    assert m["aggregate/rank"] == row.rank == 1 and m["aggregate/usable"] == 1
    assert tags[schema.USABLE] == "true" and "above the floor" in tags[schema.USABLE_REASON]
    # Latency p90 of the two seeds: make_run logs p50 * 1.3 with p50 = 2 and 3 ms.
    p90 = [2.6, 3.9]
    assert m["latency/p90_ms"] == pytest.approx(3.25)
    assert m["latency/p90_ms_sd"] == pytest.approx(statistics.stdev(p90))
    assert m["latency/p90_ms_ci_high"] == pytest.approx(3.25 + 12.7062 * statistics.stdev(p90)
                                                        / math.sqrt(2), rel=1e-4)
    assert "size/bytes_sd" in m and m["size/bytes_sd"] == 0.0
    # Nested under the benchmark run that logged its seeds.
    parent = tracking.client().get_run(ids[runs[0]["run_id"]]).data.tags[schema.PARENT]
    assert tags[schema.PARENT] == parent
    assert set(tags[schema.SEED_RUNS].split(",")) == {ids[r["run_id"]] for r in runs
                                                      if r["tags"]["model"] == "tfidf_logreg"
                                                      and r["tags"]["train_size"] == "1.0"}

    floor = _row_run("majority_class", 8000)
    assert floor.data.tags[schema.USABLE] == "false"
    assert floor.data.tags[schema.USABLE_REASON] == "is the floor"
    assert math.isnan(floor.data.metrics.get("aggregate/rank", math.nan))


def test_a_new_seed_rewrites_the_rows_run_and_adds_none(store):
    publish_aggregates(EXP)
    before = {k: r.info.run_id for k, r in _aggregates().items()}
    assert publish_aggregates(EXP).unchanged == 6  # re-running changes nothing

    new, new_stats = _runs(seeds=(3,))
    full = [r for r in new if r["tags"]["train_size"] == "1.0"]  # seed 3 at the full size
    new_ids = log_runs(full, EXP, new_stats)  # a second sweep: its own parent run
    written = publish_aggregates(EXP)
    after = _aggregates()
    assert {k: r.info.run_id for k, r in after.items()} == before  # same runs, none added
    assert (written.created, written.updated, written.unchanged) == (0, 3, 3)

    run = _row_run("tfidf_logreg", 8000)
    assert run.data.metrics["aggregate/seeds"] == 3
    assert run.info.run_name == "tfidf_logreg/mr/8000 ex/3-seed mean"
    assert run.data.tags[schema.SEED_LIST] == "1,2,3"
    new_parent = tracking.client().get_run(new_ids[full[0]["run_id"]]).data.tags[
        schema.PARENT]
    assert run.data.tags[schema.PARENT] == new_parent
    assert run.data.tags[schema.AGGREGATE_REVISION] == "2"
    history = tracking.client().get_metric_history(run.info.run_id, "aggregate/seeds")
    assert sorted((h.step, h.value) for h in history) == [(1, 2.0), (2, 3.0)]
    assert _row_run("tfidf_logreg", 4000).data.metrics["aggregate/seeds"] == 2


def test_the_report_and_the_sweeps_lookups_ignore_aggregate_runs(store):
    runs, _stats, ids = store
    exp = tracking.find_experiment_id(EXP)
    cells, parents = tracking.load_runs(EXP), tracking.load_parent_runs(EXP)
    finished = tracking.finished_cell_keys(exp)
    before, _ = load_report(EXP, analysis=False)
    publish_aggregates(EXP)
    assert len(_aggregates()) == 6
    assert sorted(r["run_id"] for r in tracking.load_runs(EXP)) == sorted(
        r["run_id"] for r in cells)
    assert [p["run_id"] for p in tracking.load_parent_runs(EXP)] == [
        p["run_id"] for p in parents]
    assert tracking.finished_cell_keys(exp) == finished
    key = runs[0]["tags"]["zoo.cell_key"]
    assert [r.info.run_id for r in tracking.cell_runs(exp, key)] == [ids[runs[0]["run_id"]]]
    assert tracking.finished_cell_run(exp, key) == ids[runs[0]["run_id"]]
    after, _ = load_report(EXP, analysis=False)
    assert after.n_runs == before.n_runs == len(runs)
    assert [(r.model, r.rank) for r in after.sections[0].rows] == [
        (r.model, r.rank) for r in before.sections[0].rows]


def test_a_row_gone_from_the_report_loses_its_run(store):
    runs, _stats, ids = store
    publish_aggregates(EXP)
    for run in runs:  # lstm_small's cells deleted from the store
        if run["tags"]["model"] == "lstm_small":
            tracking.client().delete_run(ids[run["run_id"]])
    written = publish_aggregates(EXP)
    assert written.deleted == 2 and written.total == 4
    assert "lstm_small" not in {r.data.tags[schema.MODEL] for r in _aggregates().values()}


def test_rows_without_a_store_and_the_t_interval():
    """aggregate_runs is pure over the report: one per row, the keys unique."""
    runs, stats = _runs()
    report = build_report(runs, [], EXP, stats=stats)
    wanted = aggregate_runs(report)
    assert len(wanted) == len({w.key for w in wanted}) == 6
    assert t_interval(10.0, 1.0, 1) == (None, None)
    low, high = t_interval(10.0, 2.0, 4)  # t(0.975, 3) = 3.1824
    assert (low, high) == pytest.approx((10.0 - 3.1824, 10.0 + 3.1824), rel=1e-4)


def test_zoo_report_writes_them_unless_told_not_to(store, tmp_path, capsys):
    assert main(["report", "--experiment", EXP, "--out", str(tmp_path / "a"),
                 "--no-aggregates"]) == 0
    assert _aggregates() == {}
    assert main(["report", "--experiment", EXP, "--out", str(tmp_path / "b")]) == 0
    assert "MLflow aggregate runs: 6 rows (6 created" in capsys.readouterr().out
    assert len(_aggregates()) == 6


def test_the_sweeps_register_task_writes_them_before_registering(store, monkeypatch):
    """The benchmark flow's `register-models` task (flows/register.py), run as a plain call
    with a logger that keeps its lines in place of Prefect's run logger."""
    import flows.register

    lines = []

    class Lines:
        def info(self, msg, *args):
            lines.append(msg % args)

        warning = info

    monkeypatch.setattr(flows.register, "get_run_logger", Lines)
    flows.register.register_models.fn(EXP)
    assert lines[0].startswith("MLflow aggregate runs: 6 rows (6 created")
    assert len(_aggregates()) == 6
