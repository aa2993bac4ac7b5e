"""The `prepare_data` flow: download or read, verify, parse, split and cache datasets.

Each dataset is one run of the benchmark flow's own prepare task; a second run with the same
inputs finds the cache and does no work.
"""
from __future__ import annotations

from prefect import flow

from flows.benchmark import prepare_data_task
from zoo.data import get_card

DEFAULT_DATASETS = ("mr", "wnut16", "tatoeba-en-es")


@flow(name="prepare_data")
def prepare_data(datasets: list[str] | None = None, data_mirror: str | None = None,
                 refresh: bool = False) -> list[dict]:
    """`datasets`: names (default: mr, wnut16, tatoeba-en-es)."""
    names = list(datasets or DEFAULT_DATASETS)
    for name in names:  # check every name before any download
        get_card(name)
    return [prepare_data_task(name, data_mirror, refresh) for name in names]
