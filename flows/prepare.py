"""The `prepare_data` flow: download or read, verify, parse, split and cache datasets.

Each dataset is one task; a second run with the same inputs finds the cache and does no work.
"""
from __future__ import annotations

from prefect import flow, task

from zoo import bench


@task(name="prepare-dataset", task_run_name="prepare {name}", retries=2, retry_delay_seconds=5)
def prepare_one(name: str, mirror: str | None, refresh: bool) -> dict:
    data = bench.load_data(name, mirror, refresh=refresh)
    return {"dataset": name, "fingerprint": data.fingerprint, "from_cache": data.from_cache,
            **{split: len(rows) for split, rows in data.splits.items()}}


@flow(name="prepare_data")
def prepare_data(datasets: str = "mr,wnut16,tatoeba-en-es", data_mirror: str | None = None,
                 refresh: bool = False) -> list[dict]:
    names = [n.strip() for n in datasets.split(",") if n.strip()]
    for name in names:  # check every name before any download
        bench.get_card(name)
    return [prepare_one(name, data_mirror, refresh) for name in names]
