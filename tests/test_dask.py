"""A small matrix on a 2-worker local Dask cluster: the cells train in the worker processes."""
from __future__ import annotations

import os

import pytest

from zoo import tracking
from zoo.errors import ConfigError

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


@pytest.mark.slow  # about 70 s; the team-stack test_dask_worker_killed_mid_cell runs cells on
# a Dask cluster (and kills a worker) in the default run
def test_cells_run_in_dask_workers(bench_home):
    from distributed import Client, LocalCluster

    from flows.benchmark import benchmark_with_runner

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        worker_pids = set(client.run(os.getpid).values())
        flow = benchmark_with_runner(parallel=2, runner="dask",
                                     dask_address=cluster.scheduler_address)
        result = flow(datasets=["mr"], models=["tiny_lstm", "tfidf_logreg"], train_sizes=[300],
                      seeds=[1], overrides={"epochs": 1}, latency_calls=20, parallel=2)
    # tiny_lstm, tfidf_logreg and the sentiment floor (majority_class) every run includes.
    assert result["counts"] == {"measured": 3}, result["failed"]
    runs = tracking.load_runs()
    assert len(runs) == 3
    pids = {int(r["tags"]["worker_pid"]) for r in runs}
    assert pids <= worker_pids and os.getpid() not in pids
    assert all(r["tags"]["threads"] == "1" for r in runs)  # 2 cores / 2 workers


def test_unreachable_dask_address_fails_before_training(bench_home):
    from zoo.sweep.workers import check_dask

    with pytest.raises(ConfigError, match="Dask scheduler tcp://127.0.0.1:9 is unreachable"):
        check_dask("tcp://127.0.0.1:9", timeout_s=2)
