"""Recipe variants in the report (issue 26 item 3): shown beside their model with the paired
test, never ranked or recommended, and the training-tip claims decided by them only when the
difference is significant."""
from __future__ import annotations

import pytest

from reports.build import build_report
from reports.markdown import render_markdown
from reports.render import render_html
from tests.reports.factory import floor_run, make_run, with_stats

VARIANT = {"zoo.variant": "no_clip"}


def _runs(recipe: float, variant: float, *, shared_errors: bool) -> tuple[list, dict]:
    runs, stats = [], {}
    for seed in (1, 2, 3):
        for model, quality, tags in (("lstm_small", recipe, {}),
                                     ("lstm_small", variant, VARIANT)):
            run = make_run(model, family="lstm", seed=seed, quality=quality, tags=tags,
                           run_id=f"{model}-{bool(tags)}-{seed}")
            run, payload = with_stats(run)
            if tags and not shared_errors:  # the same accuracy, 15 items right the other
                payload = _swap_errors(stats[f"lstm_small-False-{seed}"], 15)  # way round
            runs.append(run)
            stats[run["run_id"]] = payload
        floor, payload = with_stats(floor_run(seed=seed, quality=0.5, run_id=f"floor-{seed}"))
        runs.append(floor)
        stats[floor["run_id"]] = payload
    return runs, stats


def _swap_errors(payload: dict, k: int) -> dict:
    rows = [list(r) for r in payload["stats"]["accuracy"]]
    right = [i for i, (g, p) in enumerate(rows) if g == p][:k]
    wrong = [i for i, (g, p) in enumerate(rows) if g != p][:k]
    for i in right + wrong:
        rows[i][1] = 1 - rows[i][1] if i in right else rows[i][0]
    return {**payload, "stats": {"accuracy": rows, "macro_f1": rows}}


def _clip_claim(report):
    return [r for r in report.claims if r.claim.number == 10]


def test_a_variant_sits_beside_its_model_and_never_among_the_ranked_models():
    runs, stats = _runs(0.80, 0.70, shared_errors=True)
    report = build_report(runs, [], "exp", stats=stats)
    (section,) = report.sections
    assert "lstm_small~no_clip" not in {r.model for r in section.rows}
    assert all(rec.model != "lstm_small~no_clip" for rec in section.recs)
    assert report.datasets[0].models == ("lstm_small", "majority_class")
    (v,) = section.evidence.variants
    assert (v.model, v.variant, v.n_train) == ("lstm_small", "no_clip", 8000)
    assert v.result.significant and v.result.diff < 0  # the variant (no clipping) is worse
    (row,) = _clip_claim(report)
    assert row.advice.verdict == "agrees" and row.where == "Sentiment · mr"
    assert "lstm_small" in row.effect_text
    html = render_html(report, [], "sqlite:///x.db")
    assert "Recipe variants (ablations)" in html and "no gradient clipping" in html
    assert "Recipe variants (ablations)" in render_markdown(report, [], "sqlite:///x.db")


@pytest.mark.parametrize("recipe, variant, verdict", [(0.70, 0.80, "disagrees"),
                                                      (0.80, 0.80, "inconclusive")])
def test_the_tip_verdict_follows_the_paired_test(recipe, variant, verdict):
    runs, stats = _runs(recipe, variant, shared_errors=recipe != variant)
    report = build_report(runs, [], "exp", stats=stats)
    (row,) = _clip_claim(report)
    assert row.advice.verdict == verdict
    if verdict == "inconclusive":
        (v,) = report.sections[0].evidence.variants
        assert not v.result.significant


def test_every_variant_is_named_by_a_claim_and_every_named_one_exists():
    from reports.claims import CLAIMS
    from zoo.variants import VARIANTS

    named = {v for c in CLAIMS for v in c.needs.variants}
    assert named == set(VARIANTS)
