"""zoo.sweep.workers: cells train in spawned worker processes with their epoch progress relayed,
and a killed worker fails only its own cell. One test: each worker start imports torch."""
from __future__ import annotations

import os
import signal

import pytest

from zoo.cells import CellSpec, ResolvedCell, resolve_cell
from zoo.sweep import workers
from zoo.sweep.datastore import load_data

pytestmark = pytest.mark.timeout(300)


def _cell(epochs: int) -> ResolvedCell:
    spec = CellSpec("sentiment", "mr", "tiny_lstm", 200, 1, overrides=(("epochs", epochs),))
    return resolve_cell(spec, load_data("mr").fingerprint)


def test_cells_train_in_workers_and_a_killed_worker_fails_only_its_cell(bench_home):
    models = bench_home / "models"
    seen = []
    with workers.cell_pool(1, 1):
        cell = workers.train_in_worker(_cell(2), models, mirror=None, on_epoch=seen.append)
        assert cell.train_pid not in (0, os.getpid())
        assert [log.epoch for log in seen] == [1, 2]  # relayed from the worker, in order

        def kill_worker(log):  # the parent kills the worker once it reports epoch 1
            os.kill(cell.train_pid, signal.SIGKILL)

        broken = workers._pool
        with pytest.raises(RuntimeError, match="worker process training .* died"):
            workers.train_in_worker(_cell(3), models, mirror=None, on_epoch=kill_worker)
        # A worker killed inside `put` holds its queue's write lock for good: the fresh
        # pool must not write to that queue (it hung CI). Hold the lock as the dead would;
        # on a busy machine the kill can land inside `put`, and the dead worker holds it.
        broken.progress._wlock.acquire(timeout=1)
        assert not broken.progress._wlock.acquire(block=False)  # held either way
        relayed = []
        again = workers.train_in_worker(_cell(2), models, mirror=None,  # a fresh worker
                                   on_epoch=relayed.append)
        assert [log.epoch for log in relayed] == [1, 2]
    assert again.train_pid not in (cell.train_pid, os.getpid())
    here = workers.train_in_worker(_cell(2), bench_home / "here", mirror=None)
    assert here.train_pid == os.getpid()  # no pool open: trains in the caller
    assert here.test == cell.test == again.test  # same spec and seed, same model anywhere
