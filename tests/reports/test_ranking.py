"""Leaderboard aggregation, tie groups and the Pareto front on hand-made tables."""
from __future__ import annotations

import pytest

from reports.ranking import (
    Row,
    Stat,
    aggregate,
    pareto,
    rank_tie_groups,
    representative_run,
    within_points,
)
from reports.runs import current_cells, missing_cells, sections, to_cells, unresolved
from reports.significance import Comparison
from tests.reports.factory import ENV_A, ENV_B, make_run


def row(model: str, q: float | None, p90: float | None = 1.0, *, sd: float | None = None,
        size: float | None = 1e6) -> Row:
    return Row(model=model, family=model, runtime="torch", base=None, n_train=100,
               seeds=("1",), run_ids=(f"r-{model}",),
               quality={"accuracy": Stat(q, sd, 1 if q is not None else 0)},
               latency_p90=p90, size_bytes=size, run_scores={f"r-{model}": q} if q else {})


def tie_if_close(gap: float):
    """A comparator that calls two rows tied when their means differ by at most `gap`."""
    def compare(a: Row, b: Row) -> Comparison:
        diff = a.q("accuracy") - b.q("accuracy")
        return Comparison(diff > gap, diff, basis="test")
    return compare


def ranks(rows: list[Row]) -> dict[str, int | None]:
    return {r.model: r.rank for r in rows}


def test_aggregate_mean_sd_over_seeds_in_points():
    cells = to_cells([make_run("a", seed=s, quality=q) for s, q in ((1, 0.80), (2, 0.82),
                                                                     (3, 0.84))])
    (r,) = aggregate(cells, "sentiment")
    assert r.q("accuracy") == pytest.approx(82.0)
    assert r.quality["accuracy"].sd == pytest.approx(2.0)
    assert r.quality["accuracy"].ci_low == pytest.approx(80.0)
    assert r.seeds == ("1", "2", "3") and r.latency_p90 == pytest.approx(1.3)


def test_single_seed_has_no_sd_and_missing_metric_ranks_last():
    cells = to_cells([make_run("a", quality=0.7), make_run("b", quality=None, p50=None)])
    rows = rank_tie_groups(aggregate(cells, "sentiment"), "accuracy", tie_if_close(0))
    assert [r.model for r in rows] == ["a", "b"]
    assert rows[0].quality["accuracy"].sd is None and rows[0].rank == 1
    assert rows[1].rank is None and rows[1].latency_p90 is None


def test_aggregate_picks_the_largest_size_by_default():
    cells = to_cells([make_run("a", n=100, size="0.1", quality=0.5),
                      make_run("a", n=1000, size="1.0", quality=0.9)])
    assert aggregate(cells, "sentiment")[0].n_train == 1000
    assert aggregate(cells, "sentiment", 100)[0].q("accuracy") == pytest.approx(50.0)


def test_tie_groups_share_a_rank_competition_style():
    rows = [row("a", 90), row("b", 89.5), row("c", 85), row("d", 84.8), row("e", 70)]
    ranked = rank_tie_groups(rows, "accuracy", tie_if_close(1.0))
    assert ranks(ranked) == {"a": 1, "b": 1, "c": 3, "d": 3, "e": 5}
    assert ranked[1].tie_ref == "a" and ranked[3].tie_ref == "c"


def test_untestable_pairs_are_not_called_ties():
    def untested(a, b):
        return Comparison(None, None)
    assert ranks(rank_tie_groups([row("a", 90), row("b", 90)], "accuracy", untested)) == \
        {"a": 1, "b": 2}


def test_one_model_only():
    (only,) = rank_tie_groups([row("solo", 50)], "accuracy", tie_if_close(1))
    assert only.rank == 1 and only.tie is None
    (marked,) = pareto([only], "accuracy")
    assert marked.pareto is True


def test_pareto_marks_dominated_and_names_the_dominator():
    rows = pareto([row("fast", 80, 1.0), row("best", 90, 10.0), row("bad", 79, 12.0),
                   row("mid", 85, 5.0), row("nolat", 99, None)], "accuracy")
    status = {r.model: (r.pareto, r.dominated_by) for r in rows}
    assert status["fast"] == (True, None) and status["best"] == (True, None)
    assert status["mid"] == (True, None)
    assert status["bad"] == (False, "best")  # the most accurate of those dominating it
    assert status["nolat"] == (None, None)


def test_identical_points_both_stay_on_the_front():
    rows = pareto([row("x", 80, 2.0), row("y", 80, 2.0)], "accuracy")
    assert all(r.pareto for r in rows)


def test_within_points_and_representative_run():
    rows = [row("a", 90), row("b", 89.2), row("c", 88.9)]
    assert [r.model for r in within_points(rows, "accuracy", 1.0)] == ["a", "b"]
    r = Row("m", "f", "torch", None, 10, ("1", "2", "3"), ("r1", "r2", "r3"),
            {"accuracy": Stat(80.0, 1.0, 3)}, run_scores={"r1": 79.0, "r2": 80.2, "r3": 81.0})
    assert representative_run(r) == "r2"


def test_newest_finished_run_per_identity_and_environments_apart():
    old = make_run("a", quality=0.7)
    new = make_run("a", quality=0.8)
    failed_later = make_run("b", quality=None, status="FAILED")
    other_env = make_run("a", quality=0.6, env=ENV_B)
    cells = to_cells([old, new, failed_later, other_env])
    current = current_cells(cells)
    assert sorted(c.quality("accuracy") for c in current) == pytest.approx([60.0, 80.0])
    assert [c.model for c in unresolved(cells)] == ["b"]
    assert len(sections(current)) == 2  # same dataset, two environments: never mixed
    assert {c.env_id for c in current} == {make_run("x")["tags"]["env_id"],
                                          make_run("x", env=ENV_B)["tags"]["env_id"]}
    assert ENV_A != ENV_B


def test_missing_cells_are_holes_in_the_observed_matrix():
    cells = to_cells([make_run("a", seed=1), make_run("a", seed=2),
                      make_run("b", seed=1), make_run("b", seed=2, status="FAILED")])
    assert missing_cells(cells) == []  # a failed run is listed as failed, not missing
    holes = missing_cells(to_cells([make_run("a", seed=1), make_run("a", seed=2),
                                    make_run("b", seed=1)]))
    assert [(h.model, h.seed) for h in holes] == [("b", "2")]
    planned = missing_cells(to_cells([make_run("a", seed=1)]), {"mr": ([], ["1", "5"]),
                                                                 "sst2": (["9"], ["7"])})
    assert [(h.model, h.seed) for h in planned] == [("a", "5")]


def test_the_plan_reads_each_datasets_own_sizes_and_seeds():
    from reports.runs import plan_of

    tags = {"plan.datasets": "mr,wnut16", "plan.sizes": "0.1,0.3,1.0", "plan.seeds": "1,2",
            "plan.sizes.mr": "0.1,0.3", "plan.sizes.wnut16": "1.0",
            "plan.seeds.mr": "1,2", "plan.seeds.wnut16": "1", "plan.sizes.mr/big": "0.1"}
    assert plan_of(tags) == {"mr": (["0.1", "0.3"], ["1", "2"], {"big": ["0.1"]}),
                             "wnut16": (["1.0"], ["1"], {})}
    older = {k: v for k, v in tags.items() if not k.startswith(("plan.sizes.", "plan.seeds."))}
    assert plan_of(older)["wnut16"][:2] == (["0.1", "0.3", "1.0"], ["1", "2"])


def test_a_model_planned_at_fewer_sizes_is_not_missing_at_the_others():
    """quick plans the fine-tuned MiniLM at the smaller mr size only: the larger size is not a
    hole for it, and is for a model planned at every size."""
    from reports.runs import Planned

    cells = to_cells([make_run("small", size="0.1"), make_run("small", size="0.3"),
                      make_run("big", size="0.1"), make_run("other", size="0.1")])
    plan = {"mr": Planned(["0.1", "0.3"], ["1"], {"big": ["0.1"]})}
    assert [(h.model, h.train_size) for h in missing_cells(cells, plan)] == [("other", "0.3")]


def test_the_benchmark_logs_a_models_own_sizes_and_the_report_reads_them_back():
    """Round trip: the sweep's plan tags (flows.benchmark.plan_tags) -> reports.runs.plan_of."""
    from flows.benchmark import plan_tags
    from reports.runs import plan_of
    from zoo.cells import CellSpec

    cells = [CellSpec("sentiment", "mr", m, n, 1) for m in ("cnn_small", "minilm_l6")
             for n in (0.1, 0.3) if (m, n) != ("minilm_l6", 0.3)]
    cells.append(CellSpec("ner", "wnut16", "cnn_small", 1.0, 1))
    planned = plan_of(plan_tags(cells))
    assert planned["mr"] == (["0.1", "0.3"], ["1"], {"minilm_l6": ["0.1"]})
    assert planned["wnut16"] == (["1.0"], ["1"], {})
