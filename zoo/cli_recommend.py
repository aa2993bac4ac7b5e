"""`zoo recommend`: the decision guide's pick for your own budget, read from the store; and the
typed values of its options and of `zoo report --budgets` (parsed once, here).

    zoo recommend --dataset wnut16 --p90-ms 3 --labels 500 --max-size-mb 10 [--json]
"""
from __future__ import annotations

import argparse
import json


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number above 0")
    return value


def positive_count(text: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def budget_list(text: str) -> tuple[float, ...]:
    """'1,3,10' -> (1.0, 3.0, 10.0): p90 budgets in ms, ascending, no repeats."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise argparse.ArgumentTypeError(f"{text!r} names no budget; e.g. --budgets 1,3,10")
    return tuple(sorted({positive_float(p) for p in parts}))


def add_parser(sub, default_experiment: str) -> None:
    """The `recommend` subcommand's options (zoo.cli registers it)."""
    rc = sub.add_parser("recommend", help="the guide's pick for your latency, data and size "
                        "budget, read from the results store")
    rc.add_argument("--dataset", required=True, help="a dataset with runs, e.g. wnut16")
    rc.add_argument("--p90-ms", type=positive_float,
                    help="p90 batch-1 latency budget in ms (on the measured machine)")
    rc.add_argument("--labels", type=positive_count,
                    help="labelled training examples you have (the largest measured size "
                         "not above it applies)")
    rc.add_argument("--max-size-mb", type=positive_float, help="largest model on disk, MB")
    rc.add_argument("--json", action="store_true", help="print the answer as JSON")
    rc.add_argument("--experiment", default=default_experiment)
    rc.set_defaults(func=cmd_recommend)


def _section(report, dataset: str):
    """The dataset's section of its newest environment (the one the report registers)."""
    from zoo.errors import ZooError

    found = [s for s in report.sections if s.dataset == dataset]
    if not found:
        have = ", ".join(sorted({s.dataset for s in report.sections})) or "none"
        raise ZooError(f"no finished runs of dataset {dataset!r} in experiment "
                       f"{report.experiment!r} (datasets with runs: {have}); run "
                       f"`zoo bench --datasets {dataset}` first")
    return next((s for s in found if s.primary_env), found[0])


def cmd_recommend(args) -> int:
    from reports.budget import Budget, answer, answer_json
    from reports.render import load_report
    from zoo.tracking import check_existing_experiment

    check_existing_experiment(args.experiment)  # one line when there is no such experiment
    report, _ = load_report(args.experiment, analysis=False)
    section = _section(report, args.dataset)
    budget = Budget(args.p90_ms, args.labels, args.max_size_mb)
    rows = {**section.rows_by_size, section.n_full: section.rows}
    found = answer(rows, section.metric, budget, where=section.dataset)
    if args.json:
        print(json.dumps({"dataset": section.dataset, "task": section.task,
                          "environment": section.env_label, **answer_json(found, section.metric)},
                         indent=1, ensure_ascii=False))
        return 0
    print(f"{section.task} · {section.dataset}, {budget.text} (measured on {section.env_label}):")
    print(found.text)
    return 0 if found.pick else 1
