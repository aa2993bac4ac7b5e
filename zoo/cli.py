"""The `zoo` command. Heavy libraries (torch, prefect, mlflow) are imported lazily so that
`zoo --help` answers at once."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from zoo.errors import ZooError


def _setup_env() -> None:
    """Keep Prefect and MLflow local and quiet unless the user configured otherwise."""
    from zoo.tracking import state_dir

    prefect_home = Path(os.environ.setdefault("PREFECT_HOME", str(state_dir() / "prefect")))
    prefect_home.mkdir(parents=True, exist_ok=True)  # Prefect does not create parents
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def cmd_models(args) -> int:
    from zoo.registry import get_entry, list_models

    print(f"{'model':<22} {'family':<12} {'kind':<10} tasks")
    for name in list_models(args.pattern, task=args.task):
        e = get_entry(name)
        print(f"{name:<22} {e.family:<12} {e.kind:<10} {','.join(e.tasks):<22} {e.description}")
    return 0


def cmd_datasets(args) -> int:
    from zoo.bench import data_cache_dir
    from zoo.data import list_datasets

    print(f"{'dataset':<16} {'task':<12} {'default':<8} {'cached':<7} licence")
    cache = data_cache_dir() / "prepared"
    for card in list_datasets():
        cached = any(cache.glob(f"{card.name}-*.json")) if cache.is_dir() else False
        print(f"{card.name:<16} {card.task:<12} {'yes' if card.default else 'no':<8} "
              f"{'yes' if cached else 'no':<7} {card.licence}")
    return 0


def cmd_prepare(args) -> int:
    from zoo.bench import load_data

    for name in args.datasets.split(","):
        data = load_data(name.strip(), args.data_mirror, refresh=args.refresh)
        sizes = ", ".join(f"{k} {len(v):,}" for k, v in data.splits.items())
        print(f"{data.card.name}: {sizes}; fingerprint {data.fingerprint[:12]}")
    return 0


def cmd_bench(args) -> int:
    from zoo.configs import parse_overrides

    _setup_env()
    from flows.benchmark import benchmark_with_runner

    flow = benchmark_with_runner(args.parallel, args.runner, args.dask_address)
    result = flow(profile=args.profile, datasets=args.datasets, models=args.models,
                  train_sizes=args.sizes, seeds=args.seeds,
                  overrides=parse_overrides(args.set), refresh=args.refresh,
                  experiment=args.experiment, report_dir=args.out, data_mirror=args.data_mirror,
                  parallel=args.parallel)
    from zoo.tracking import tracking_uri

    print(f"cells: {result['counts']}")
    for fail in result["failed"]:
        print(f"FAILED {fail['cell']}: {fail['error']}")
    print(f"MLflow store: {tracking_uri()}")
    print(f"Report: {result['report']}")
    return 1 if result["failed"] and len(result["failed"]) == len(result["cells"]) else 0


def cmd_report(args) -> int:
    from reports.render import render_report

    print(f"Report: {render_report(experiment=args.experiment, out_dir=args.out)}")
    return 0


def cmd_ui(args) -> int:
    from zoo.tracking import tracking_uri

    uri = tracking_uri()
    print(f"MLflow UI for {uri}: http://{args.host}:{args.port}  (Ctrl-C stops it)")
    os.execvp(sys.executable, [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri,
                               "--host", args.host, "--port", str(args.port), "--workers", "1"])
    return 0


def build_parser() -> argparse.ArgumentParser:
    from zoo.tracking import DEFAULT_EXPERIMENT

    p = argparse.ArgumentParser(prog="zoo", description="NLP model zoo with benchmark "
                                "orchestration (Prefect), tracking (MLflow) and a decision guide.")
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("models", help="list registered models")
    m.add_argument("pattern", nargs="?", default="*", help="glob patterns, e.g. 'bilstm*'")
    m.add_argument("--task", choices=["sentiment", "ner", "translation"])
    m.set_defaults(func=cmd_models)
    d = sub.add_parser("datasets", help="list the dataset catalog")
    d.set_defaults(func=cmd_datasets)
    pr = sub.add_parser("prepare", help="download, verify, parse, split and cache datasets")
    pr.add_argument("datasets", help="comma-separated dataset names")
    pr.add_argument("--data-mirror", default=os.environ.get("ZOO_DATA_MIRROR"))
    pr.add_argument("--refresh", action="store_true")
    pr.set_defaults(func=cmd_prepare)
    b = sub.add_parser("bench", help="run a benchmark profile (train, evaluate, measure, report)")
    b.add_argument("--profile", default="quick")
    b.add_argument("--datasets", help="comma-separated names (default: the profile's)")
    b.add_argument("--models", help="comma-separated glob patterns, e.g. 'bilstm*,tfidf*'")
    b.add_argument("--sizes", help="training sizes: fractions (0.25) or counts (500)")
    b.add_argument("--seeds", help="comma-separated seeds")
    b.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="training override, e.g. --set epochs=2 (repeatable)")
    b.add_argument("--refresh", action="store_true", help="recompute finished cells")
    b.add_argument("--experiment", default=DEFAULT_EXPERIMENT)
    b.add_argument("--out", help="report folder (default .zoo/report)")
    b.add_argument("--data-mirror", default=os.environ.get("ZOO_DATA_MIRROR"))
    b.add_argument("--parallel", type=int, help="cells trained at once (default: cores/4)")
    b.add_argument("--runner", choices=["threads", "dask"], default="threads")
    b.add_argument("--dask-address", help="tcp://host:port of an existing Dask scheduler")
    b.set_defaults(func=cmd_bench)
    r = sub.add_parser("report", help="render the decision guide from MLflow")
    r.add_argument("--experiment", default=DEFAULT_EXPERIMENT)
    r.add_argument("--out", help="report folder (default .zoo/report)")
    r.set_defaults(func=cmd_report)
    u = sub.add_parser("ui", help="start the MLflow UI on loopback")
    u.add_argument("--host", default="127.0.0.1")
    u.add_argument("--port", type=int, default=5000)
    u.set_defaults(func=cmd_ui)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ZooError as exc:
        print(f"zoo: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
