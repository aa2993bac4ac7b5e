"""The benchmark sweep: plain functions the Prefect flow (flows/benchmark.py) wires; each can
be called and tested without Prefect. Modules, each importing only the ones before it:

    matrix     the matrix's axes as typed values (stdlib only: the CLI's argparse types)
    plan       the matrix expanded into typed cells, every check before any work
    cost       which cell starts first; rough seconds for `zoo bench --dry-run`
    datastore  prepared data, parsed once per process (workers read it from here)
    workers    worker processes that train cells; threads per cell; the Dask probe
    pretrain   the biLM pretraining step, before or beside the cells
    run_record what a cell's MLflow run records (tags, params, results)
    run        a cell's tracked run: train (OOM retry), log, measure, close
    dry_run    `zoo bench --dry-run`: the plan, what is finished, a rough cost

Nothing here imports flows/, reports/ or the CLI; this package imports nothing on purpose,
so `zoo.sweep.matrix` stays light.
"""
