"""The report's "Inside the numbers" part, from a real MLflow store: per-example records logged
through zoo.tracking, buckets and disagreement examples on the page (HTML and Markdown), the
test text escaped, and the note for runs logged before records existed."""
from __future__ import annotations

import numpy as np

from reports.render import render_report
from tests.reports.factory import floor_run, log_runs, make_run
from zoo import metrics
from zoo.data.types import Example
from zoo.example_log import example_records
from zoo.tracking.records import log_example_records

HOSTILE = "<img src=x onerror=alert(1)>"
N = 400


def _test_set() -> list[Example]:
    rng = np.random.default_rng(5)
    return [Example((HOSTILE, *(["word"] * int(rng.integers(1, 30)))),
                    label="pos" if rng.random() < 0.5 else "neg") for _ in range(N)]


def _model(name: str, test, accuracy: float, *, seed: int, short_bias: bool = False,
           **kw) -> tuple[dict, dict, dict]:
    """(run, stats payload, records) of a model right on about `accuracy` of the examples;
    with `short_bias` it is right on every short text and guesses on long ones."""
    rng = np.random.default_rng(seed)
    right = [(len(ex.tokens) <= 10) or rng.random() < 0.5 if short_bias
             else rng.random() < accuracy for ex in test]
    flip = {"pos": "neg", "neg": "pos"}
    preds = [ex.label if ok else flip[ex.label] for ex, ok in zip(test, right)]
    stats, _ = metrics.label_stats([ex.label for ex in test], preds)
    acc = float(np.mean(right))
    run = make_run(name, quality=acc, ci=0.03, **kw)
    payload = {"version": 1, "task": "sentiment", "split": "test", "n": N,
               "stats": {"accuracy": stats.tolist(), "macro_f1": stats.tolist()}}
    return run, payload, example_records("sentiment", [], test, preds)


def test_buckets_and_disagreements_render_escaped(fresh_store, tmp_path):
    test = _test_set()
    made = [_model("cnn_small", test, 0.9, seed=1, p50=2.0),
            _model("nb_logreg", test, 0.0, seed=2, short_bias=True, p50=0.1),
            _model("old_model", test, 0.6, seed=3, p50=0.5)]
    floor_preds = ["neg"] * N
    stats, _ = metrics.label_stats([ex.label for ex in test], floor_preds)
    floor = floor_run(quality=float(np.mean([ex.label == "neg" for ex in test])))
    payloads = {r["run_id"]: p for r, p, _ in made}
    payloads[floor["run_id"]] = {"version": 1, "task": "sentiment", "split": "test", "n": N,
                                 "stats": {"accuracy": stats.tolist(),
                                           "macro_f1": stats.tolist()}}
    ids = log_runs([r for r, _, _ in made] + [floor], "nlp-zoo", payloads)
    for run, _, records in made[:2]:  # old_model and the floor predate records
        log_example_records(ids[run["run_id"]], records)

    html_path = render_report("nlp-zoo", tmp_path)
    html = html_path.read_text(encoding="utf-8")
    inside = html[html.index('-inside">'):html.index("</ul>", html.index('class="disagree"'))]
    assert "Inside the numbers" in inside and 'class="num buckets"' in inside
    assert "class · <b>neg</b>" in inside and "text length · <b>" in inside
    assert "majority_class: its runs did not log per-example records" in inside
    # nb_logreg is right on every short text: the long-text bucket separates the two most
    assert "<b>Largest gap</b> between <code>cnn_small</code> and <code>nb_logreg</code>: " \
           "text length · " in inside and ", significant (p = " in inside
    assert "Where <code>cnn_small</code> and <code>nb_logreg</code> disagree" in inside
    assert inside.count("<li><q>") == 3
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in inside
    md = html_path.with_name("report.md").read_text(encoding="utf-8")
    assert "### Inside the numbers" in md and "**Largest gap**" in md
    assert HOSTILE not in md and "\\<img src=x onerror=alert(1)\\>" in md
