"""Entrypoint of the `benchmark/dask` deployment: the benchmark flow with its training cells
run on an existing Dask cluster.

The scheduler comes from DASK_SCHEDULER_ADDRESS (Dask's own setting, e.g.
tcp://dask-scheduler:8786) in the Prefect worker's environment; without it, prefect-dask starts
a temporary two-process local cluster. Dask workers need the project installed (same version
as the Prefect worker), MLFLOW_TRACKING_URI, PREFECT_API_URL, and a ZOO_HOME that the Prefect
worker shares (trained model folders are handed from the training task to the measuring one
by path).
"""
from __future__ import annotations

import os

from flows.benchmark import benchmark_with_runner

benchmark_on_dask = benchmark_with_runner(runner="dask",
                                          dask_address=os.environ.get("DASK_SCHEDULER_ADDRESS"))
