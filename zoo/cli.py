"""The `zoo` command: parses every option once (argparse types: zoo.sweep.matrix) and hands
typed values on. Heavy libraries (torch, prefect, mlflow), and the project modules that load
them, are imported inside the commands that need them, so that `zoo --help`, `zoo models`
and `zoo datasets` answer at once."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from zoo import home
from zoo.cli_recommend import add_parser as add_recommend_parser
from zoo.cli_recommend import budget_list
from zoo.cli_tune import add_parser as add_tune_parser
from zoo.errors import ConfigError, ZooError
from zoo.sweep.matrix import parse_names, parse_seeds, parse_sizes


def _setup_env() -> None:
    """Keep Prefect and MLflow local and quiet unless the user configured otherwise."""
    prefect_home = Path(os.environ.setdefault("PREFECT_HOME", str(home.default_prefect_home())))
    prefect_home.mkdir(parents=True, exist_ok=True)  # Prefect does not create parents
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    # The ephemeral server migrates a new database on first use: on a busy 2-core machine
    # that can exceed Prefect's 20 s default and abort the run before it starts.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if not os.environ.get("PREFECT_API_URL"):
        # The ephemeral server shares our terminal; stopped at exit while its services still
        # flush events, it logged ~150 lines of "Error flushing events" and CancelledError
        # tracebacks after a fully cached re-run. Client-side errors still surface.
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
    # torch's ONNX exporter prints C++ shape-inference warnings for packed sequences on every
    # export; the zoo checks each exported graph against the eager model instead (runtime/
    # onnx.py), so they are noise. Must be set before torch loads (its imports are lazy).
    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")


def _cmd_models(args) -> int:
    from zoo.cli_models import cmd_models

    return cmd_models(args)


def _cmd_datasets(args) -> int:
    from zoo.cli_datasets import cmd_datasets

    return cmd_datasets(args)


def cmd_prepare(args) -> int:
    from zoo.sweep.datastore import load_data

    for name in args.datasets:
        data = load_data(name, args.data_mirror, refresh=args.refresh)
        sizes = ", ".join(f"{k} {len(v):,}" for k, v in data.splits.items())
        print(f"{data.card.name}: {sizes}; fingerprint {data.fingerprint[:12]}")
    return 0


def _flow_parameters(args) -> dict:
    """The benchmark flow's typed parameters from the CLI, checked before anything runs."""
    return _plan(args)[1]


def _plan(args) -> tuple[list, dict]:
    """(the planned cells, the flow's parameters): the whole matrix checked now."""
    from zoo.configs import parse_overrides
    from zoo.sweep.plan import plan_cells

    overrides = parse_overrides(args.set)
    cells = plan_cells(args.profile, datasets=args.datasets, models=args.models,
                       train_sizes=args.sizes, seeds=args.seeds, overrides=overrides,
                       variants=args.variants)
    return cells, dict(profile=args.profile, datasets=args.datasets, models=args.models,
                train_sizes=args.sizes, seeds=args.seeds, variants=args.variants,
                overrides=overrides,
                refresh=args.refresh, experiment=args.experiment, report_dir=args.out,
                data_mirror=args.data_mirror)


def _dry_run(args) -> int:
    """The plan, what the store already finished and a rough cost; nothing trained, prepared,
    logged or created, no Prefect server (zoo.sweep.dry_run)."""
    from zoo.servers import check_mlflow_server

    check_mlflow_server(os.environ.get("MLFLOW_TRACKING_URI", ""))
    cells, _ = _plan(args)
    from zoo.sweep.dry_run import describe
    from zoo.sweep.workers import default_parallelism

    print("\n".join(describe(cells, args.experiment, default_parallelism(args.parallel)[0])))
    return 0


def _probe_named_servers() -> None:
    """The servers named by environment variables answer: probed before torch, Prefect
    and MLflow are imported (those imports take seconds on 2 cores)."""
    from zoo.servers import check_mlflow_server, check_prefect_server

    check_prefect_server(os.environ.get("PREFECT_API_URL"))
    check_mlflow_server(os.environ.get("MLFLOW_TRACKING_URI", ""))


def _check_servers() -> None:
    """Then Prefect's own settings (a profile may set its API URL) and the MLflow store."""
    from prefect.settings import get_current_settings

    from zoo.servers import check_prefect_server
    from zoo.tracking import check_reachable

    check_prefect_server(get_current_settings().api.url)
    check_reachable()


def cmd_bench(args) -> int:
    if args.dry_run:
        return _dry_run(args)
    if not args.quiet:  # the progress bar replaces Prefect's per-task INFO lines on the
        # terminal; the flow's INFO logs still reach the Prefect API (its flow run page)
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    _setup_env()
    _probe_named_servers()
    from zoo import store_lock

    # Refused at once (before torch, Prefect and MLflow load) when another sweep uses the store.
    with store_lock.holding(f"zoo bench --profile {args.profile}", wait=False):
        result = _run_bench(args)
    from zoo.tracking import tracking_uri

    print(f"cells: {result['counts']}")
    for fail in result["failed"]:
        print(f"FAILED {fail['cell']}: {fail['error']}")
    print(f"MLflow store: {tracking_uri()}")
    print(f"Report: {result['report']}")
    return 1 if result["failed"] and len(result["failed"]) == len(result["cells"]) else 0


def _run_bench(args) -> dict:
    parameters = _flow_parameters(args)
    _check_servers()
    from flows.benchmark import benchmark_with_runner

    parallel = args.parallel
    if args.runner == "dask" and args.dask_address:
        from zoo.sweep.workers import check_dask

        parallel = parallel or max(1, check_dask(args.dask_address))
    flow = benchmark_with_runner(parallel, args.runner, args.dask_address)
    from zoo.progress import LineReporter, RichReporter, reporter, set_reporter

    if not args.quiet:
        set_reporter(RichReporter() if sys.stdout.isatty() else LineReporter())
    try:
        return flow(**parameters, parallel=parallel)
    finally:
        reporter().stop()


def check_cron(expression: str) -> None:
    from prefect.client.schemas.schedules import CronSchedule

    fields = len(expression.split())
    try:
        if fields != 5:  # croniter also takes a sixth (seconds) field; Prefect's UI does not
            raise ValueError(f"{fields} fields")
        CronSchedule(cron=expression)
    except ValueError:
        raise ZooError(f"malformed cron string {expression!r}; use five fields, e.g. "
                       "\"0 3 * * *\" for 03:00 every day") from None


def cmd_schedule(args) -> int:
    _setup_env()
    check_cron(args.cron)
    parameters = _flow_parameters(args)
    from prefect.settings import get_current_settings

    from zoo.servers import check_prefect_server

    api_url = get_current_settings().api.url
    if not api_url:
        raise ZooError("zoo schedule needs a Prefect server: run `prefect server start --host "
                       "127.0.0.1` and set PREFECT_API_URL=http://127.0.0.1:4200/api")
    check_prefect_server(api_url)
    from flows.benchmark import benchmark
    from flows.serve import serve_until_stopped

    print(f"Serving deployment benchmark/{args.name} on cron {args.cron!r} from this process: "
          "runs happen only while it runs; Ctrl-C stops it.", flush=True)
    serve_until_stopped(benchmark, args.name, args.cron,
                        {k: v for k, v in parameters.items() if v is not None})
    print(f"Stopped serving benchmark/{args.name}.")
    return 0


def cmd_report(args) -> int:
    from reports.render import render_report
    from zoo.tracking import check_existing_experiment

    check_existing_experiment(args.experiment)  # before anything is written

    path = render_report(experiment=args.experiment, out_dir=args.out, budgets=args.budgets)
    print(f"Report: {path}\nMarkdown: {path.with_name('report.md')}")
    if args.aggregates:  # after the report, which reads cell runs only
        from publish.aggregates import publish_aggregates_line  # the step above reports/

        print(publish_aggregates_line(args.experiment))
    return 0


def cmd_register(args) -> int:
    from publish.register import register_experiment  # the step above reports/

    registrations = register_experiment(args.experiment)  # ZooError: no experiment, no runs
    for r in registrations:
        print(r.line)
    if not registrations:
        print(f"Nothing to register: {args.experiment!r} has no usable pick (converged and "
              "above its floor) in its newest environment.")
    return 1 if any(r.status == "failed" for r in registrations) else 0


def ui_guide(uri: str, host: str, port: int, prefect_api: str | None) -> str:
    """Where to browse what: MLflow for runs, Prefect for flow runs, the report for decisions."""
    prefect = (f"Prefect UI (flow runs, schedules, report artifacts): "
               f"{prefect_api.removesuffix('/api')}" if prefect_api else
               "Prefect UI: none (flows ran on an ephemeral server); for one, run `prefect "
               "server start --host 127.0.0.1` and set PREFECT_API_URL=http://127.0.0.1:4200/api")
    return "\n".join([
        f"MLflow UI (compare runs) for {uri}: http://{host}:{port}  (Ctrl-C stops it); "
        "the runs are under Model training, not GenAI",
        prefect,
        f"Decision guide: {home.report_dir() / 'index.html'} (after `zoo bench` or "
        "`zoo report`)"])


def cmd_ui(args) -> int:
    from zoo.tracking import tracking_uri

    uri = tracking_uri()
    print(ui_guide(uri, args.host, args.port, os.environ.get("PREFECT_API_URL")))
    os.execvp(sys.executable, [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri,
                               "--host", args.host, "--port", str(args.port), "--workers", "1"])
    return 0


def _add_matrix_args(p: argparse.ArgumentParser) -> None:
    from zoo.tracking import DEFAULT_EXPERIMENT

    p.add_argument("--profile", default="quick", help="quick | standard | claims | full")
    p.add_argument("--datasets", type=_typed(parse_names),
                   help="comma-separated names (default: the profile's)")
    p.add_argument("--models", type=_typed(parse_names),
                   help="comma-separated glob patterns, e.g. 'bilstm*,tfidf*'")
    p.add_argument("--sizes", type=_typed(parse_sizes),
                   help="training sizes: fractions (0.25) or counts (500)")
    p.add_argument("--seeds", type=_typed(parse_seeds), help="comma-separated seeds")
    p.add_argument("--variants", type=_typed(parse_names),
                   help="recipe variants (ablations) to run beside their models, e.g. "
                        "no_clip,no_dropout; `zoo models --variants` lists them "
                        "(default: the profile's)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="training override, e.g. --set epochs=2 (repeatable)")
    p.add_argument("--refresh", action="store_true", help="recompute finished cells")
    p.add_argument("--experiment", default=DEFAULT_EXPERIMENT)
    p.add_argument("--out", help="report folder (default .zoo/report)")
    p.add_argument("--data-mirror", default=os.environ.get("ZOO_DATA_MIRROR"))


def _typed(parse):
    """An argparse type from a zoo.sweep.matrix parser: its one-line message, exit status 2."""
    def convert(text: str):
        try:
            return parse(text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__  # argparse names the type in its messages
    return convert


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _add_module_parsers(sub, default_experiment: str) -> None:
    """The subcommands whose options live in a module of their own (light imports only)."""
    add_recommend_parser(sub, default_experiment)
    add_tune_parser(sub)


def build_parser() -> argparse.ArgumentParser:
    from zoo.tracking import DEFAULT_EXPERIMENT, UI_HOST, UI_PORT

    p = argparse.ArgumentParser(prog="zoo", description="NLP model zoo with benchmark "
                                "orchestration (Prefect), tracking (MLflow) and a decision guide.")
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("models", help="list registered models")
    m.add_argument("pattern", nargs="?", default="*", help="glob patterns, e.g. 'bilstm*'")
    m.add_argument("--task", choices=["sentiment", "ner", "translation"])
    m.add_argument("--no-params", action="store_true",
                   help="leave the parameter counts out (they come from the model index)")
    m.add_argument("--all", action="store_true", help="include the test-sized tiny_* models")
    m.add_argument("--variants", action="store_true",
                   help="list the recipe variants (ablations) instead: `zoo bench --variants`")
    m.set_defaults(func=_cmd_models)
    d = sub.add_parser("datasets", help="list the dataset catalog, or show one card")
    d.add_argument("name", nargs="?", help="a dataset name: show its full card; or `add`")
    d.add_argument("card", nargs="?", help="with `add`: your dataset card (TOML) to register")
    d.add_argument("--data-mirror", default=os.environ.get("ZOO_DATA_MIRROR"))
    d.set_defaults(func=_cmd_datasets)
    pr = sub.add_parser("prepare", help="download, verify, parse, split and cache datasets")
    pr.add_argument("datasets", type=_typed(parse_names), help="comma-separated dataset names")
    pr.add_argument("--data-mirror", default=os.environ.get("ZOO_DATA_MIRROR"))
    pr.add_argument("--refresh", action="store_true")
    pr.set_defaults(func=cmd_prepare)
    b = sub.add_parser("bench", help="run a benchmark profile (train, evaluate, measure, report)")
    _add_matrix_args(b)
    b.add_argument("--parallel", type=_positive_int,
                   help="cells trained at once (default: one per core up to 4 cores, "
                        "then one per 2 cores)")
    b.add_argument("--runner", choices=["threads", "dask"], default="threads")
    b.add_argument("--dask-address", help="tcp://host:port of an existing Dask scheduler")
    b.add_argument("--quiet", action="store_true", help="logs only, no progress display")
    b.add_argument("--dry-run", action="store_true",
                   help="print the plan, the cells already finished in the store and a rough "
                        "cost estimate; train, prepare and log nothing")
    b.set_defaults(func=cmd_bench)
    sc = sub.add_parser("schedule", help="serve the benchmark as a scheduled Prefect deployment")
    _add_matrix_args(sc)
    sc.add_argument("--cron", required=True, help='e.g. "0 3 * * *" (nightly at 03:00)')
    sc.add_argument("--name", default="scheduled", help="deployment name")
    sc.set_defaults(func=cmd_schedule)
    r = sub.add_parser("report", help="render the decision guide from MLflow")
    r.add_argument("--experiment", default=DEFAULT_EXPERIMENT)
    r.add_argument("--out", help="report folder (default .zoo/report)")
    r.add_argument("--budgets", type=budget_list, help="p90 latency budgets in ms of the "
                   "cards and the decision tree (default 1,5,20), e.g. --budgets 1,3,10")
    r.add_argument("--no-aggregates", dest="aggregates", action="store_false",
                   help="write no MLflow aggregate runs (one per leaderboard row)")
    r.set_defaults(func=cmd_report)
    _add_module_parsers(sub, DEFAULT_EXPERIMENT)
    rg = sub.add_parser("register", help="register the report's picks in the MLflow Model "
                        "Registry (one alias per scenario)")
    rg.add_argument("--experiment", default=DEFAULT_EXPERIMENT)
    rg.set_defaults(func=cmd_register)
    u = sub.add_parser("ui", help="start the MLflow UI on loopback")
    u.add_argument("--host", default=UI_HOST)
    u.add_argument("--port", type=int, default=UI_PORT)
    u.set_defaults(func=cmd_ui)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        if sys.stdout is not None:  # flushed here, not at exit: a closed pipe is caught below
            sys.stdout.flush()
        return code
    except ZooError as exc:
        print(f"zoo: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return _reader_left()


def _reader_left() -> int:
    """`zoo models | head`: the reader closed the pipe. End as a shell tool killed by
    SIGPIPE would (status 141, nothing on stderr); stdout goes to /dev/null so Python's
    final flush cannot raise again (the recipe of Python's signal documentation)."""
    import signal

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 128 + signal.SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
