"""The flow's `parallel` parameter bounds concurrent cells whatever the task runner allows."""
from __future__ import annotations

import threading
import time

import pytest
from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner

from flows.benchmark import submit_bounded

_lock = threading.Lock()
_now = {"running": 0, "peak": 0}


@task
def _busy(i: int) -> int:
    with _lock:
        _now["running"] += 1
        _now["peak"] = max(_now["peak"], _now["running"])
    time.sleep(0.3)
    with _lock:
        _now["running"] -= 1
    return i * i


@flow(task_runner=ThreadPoolTaskRunner(max_workers=4))
def _wide_flow(limit: int) -> list[int]:
    futures = submit_bounded(list(range(6)), limit, _busy.submit)
    return [f.result() for f in futures]


@pytest.mark.parametrize("limit", [1, 2])
def test_at_most_limit_cells_run_at_once_and_results_keep_their_order(limit):
    _now.update(running=0, peak=0)
    assert _wide_flow(limit) == [i * i for i in range(6)]
    assert _now["peak"] == limit


@flow(task_runner=ThreadPoolTaskRunner(max_workers=4))
def _flow_beside_a_long_task(limit: int) -> tuple[list[int], int]:
    long = _busy.submit(10)  # e.g. the biLM pretraining in one worker
    futures = submit_bounded(list(range(4)), limit, _busy.submit, running=[long])
    return [f.result() for f in futures], long.result()


def test_an_already_running_future_counts_against_the_limit():
    _now.update(running=0, peak=0)
    assert _flow_beside_a_long_task(2) == ([0, 1, 4, 9], 100)
    assert _now["peak"] == 2
