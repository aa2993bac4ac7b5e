"""`zoo tune`: an Optuna search over a model's training recipe on dev, then recipe vs tuned
on test with a significance test (zoo.tune; the table: reports.tuning).

    zoo tune bilstm_crf_small --dataset wnut16 --trials 12 [--size 1.0] [--seed 1]
             [--eval-seeds 1,2,3] [--profile standard]
    zoo tune --plan tuning [--parallel 2]   # every family of zoo.tune.TUNING_PLAN, resumable
    zoo tune --report               # the recipe-vs-tuned table of every finished study

The options are parsed here with light imports only; torch, Optuna and MLflow load in the
command (zoo.cli registers it at start-up, as `zoo recommend`).
"""
from __future__ import annotations

import os


def add_parser(sub) -> None:
    t = sub.add_parser("tune", help="search a model's training recipe with Optuna (dev "
                       "only), then compare recipe and tuned config on test")
    t.add_argument("model", nargs="?", help="a neural model, e.g. bilstm_crf_small")
    t.add_argument("--dataset", help="a dataset of the catalog, e.g. wnut16")
    t.add_argument("--trials", type=int, help="trials in the study, the recipe first (a rerun "
                   "runs only the missing ones); a plan's default: 12")
    t.add_argument("--size", default="1.0", help="training size: a fraction (0.25) or a "
                   "count (500); default all of the training split")
    t.add_argument("--seed", default="1", help="seed of the trials and of the sampler")
    t.add_argument("--eval-seeds", default="1,2,3",
                   help="seeds of the final recipe-vs-tuned trainings")
    t.add_argument("--profile", default="standard",
                   help="whose budgets the trainings use (dev sample, time cap)")
    t.add_argument("--plan", help="tune every model of a plan (`tuning`) instead of MODEL")
    t.add_argument("--parallel", type=int, help="studies of a plan run at once, each in its "
                   "own process (default: one per core up to 4 cores, as `zoo bench`)")
    t.add_argument("--report", action="store_true",
                   help="print the recipe-vs-tuned table of the finished studies and stop")
    t.add_argument("--data-mirror", default=os.environ.get("ZOO_DATA_MIRROR"))
    t.set_defaults(func=cmd_tune)


def _requests(args) -> list:
    """The studies asked for, every input checked (zoo.errors.ConfigError, one line)."""
    from zoo.errors import ConfigError
    from zoo.sweep.matrix import parse_seeds, parse_sizes
    from zoo.tune import check_request, plan_requests

    sizes, seeds = parse_sizes(args.size), parse_seeds(args.seed)
    eval_seeds = parse_seeds(args.eval_seeds)
    if args.parallel is not None and args.parallel < 1:
        raise ConfigError(f"--parallel {args.parallel}: run at least 1 study at a time; "
                          "e.g. --parallel 2")
    if len(sizes) != 1 or len(seeds) != 1:
        raise ConfigError("--size and --seed take one value each; e.g. --size 0.5 --seed 1")
    if args.plan:
        if args.model or args.dataset:
            raise ConfigError("give a MODEL with --dataset, or --plan, not both")
        return plan_requests(args.plan, trials=args.trials, seed=seeds[0],
                             eval_seeds=eval_seeds, profile=args.profile)
    if not args.model or not args.dataset or args.trials is None:
        raise ConfigError("zoo tune needs a MODEL, --dataset and --trials (e.g. `zoo tune "
                          "bilstm_small --dataset mr --trials 12`), or --plan tuning")
    return [check_request(args.model, args.dataset, args.trials, size=sizes[0], seed=seeds[0],
                          eval_seeds=eval_seeds, profile=args.profile)]


def _print_report() -> int:
    """The table of every finished study; one line, and nothing created, without a store."""
    from reports.tuning import load_tuning_rows, render_text
    from zoo import home
    from zoo.errors import ZooError
    from zoo.tracking import check_reachable

    if not os.environ.get("MLFLOW_TRACKING_URI") and not home.mlflow_db().is_file():
        raise ZooError(f"no MLflow store at {home.mlflow_db()}: run `zoo tune MODEL --dataset "
                       "D --trials N` first, or point ZOO_HOME (or MLFLOW_TRACKING_URI) at "
                       "the store")
    check_reachable()
    print(render_text(load_tuning_rows()))
    return 0


def cmd_tune(args) -> int:
    from zoo.servers import check_mlflow_server
    from zoo.tracking import schema

    check_mlflow_server(os.environ.get("MLFLOW_TRACKING_URI", ""))
    if args.report:
        return _print_report()
    requests = _requests(args)  # before any data is read or run started
    from reports.tuning import load_tuning_rows, render_text
    from zoo.tracking import check_reachable, tracking_uri
    from zoo.tune import run_plan

    check_reachable()
    failed = run_plan(requests, args.data_mirror, parallel=args.parallel)
    print(render_text(load_tuning_rows(studies=[r.study_name for r in requests])))
    print(f"MLflow store: {tracking_uri()} (experiment {schema.TUNING_EXPERIMENT!r})")
    return 1 if failed else 0
