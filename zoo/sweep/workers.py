"""Worker processes that train benchmark cells, each with its own torch threads.

Why processes: cells side by side on threads of one Python process share its GIL with each
other and with Prefect's and MLflow's background threads. Measured on wnut16 (full,
cnn_small, 1 torch thread each, Intel Xeon 2 cores): 170 s for the cell in the quick run
on threads, 61-64 s for each of two copies run as two processes side by side
(benchmarks/cell_profile.py). Small models are Python-bound, so the GIL, not the cores,
set their speed.

Only training moves: the parent keeps the MLflow logging, the cache checks and the
latency measurements (serial, nothing beside them). A worker loads each prepared dataset
once per process (zoo.sweep.datastore.prepared) and sends per-epoch progress back on a queue.
Without an open pool (`cell_pool`), `train_in_worker` trains in the calling process, as tests
and Dask workers do. The thread policy (cells side by side, torch threads per cell) and the
Dask probe live here too: both decide where cells train.
"""
from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import torch

from zoo import interrupt
from zoo.cells import ResolvedCell, TrainedCell, train_cell
from zoo.errors import ConfigError
from zoo.sweep.datastore import prepared, pretrain_corpus

_pool: _Pool | None = None  # the open pool, see cell_pool
_pool_lock = threading.Lock()
_progress = None  # the queue a worker sends (label, EpochLog) on; set in each worker
_listeners: dict[str, Callable] = {}  # cell label -> on_epoch, in the parent
_slots: threading.Semaphore | None = None  # one per worker process of the open pool


def _init_worker(threads: int, progress, parent: int) -> None:
    global _progress
    interrupt.ignore_in_worker()  # Ctrl-C reaches the whole process group: the parent ends us
    _progress = progress
    start_worker(threads, parent)


def start_worker(threads: int, parent: int) -> None:
    """What each worker process of a sweep or of a tuning plan (zoo.tune) does first: take
    its share of the cores, and end with its parent (a killed parent leaves no worker
    training into a cell's folder or holding a study's lock)."""
    torch.set_num_threads(threads)
    watch_parent(parent)


def watch_parent(parent: int) -> None:
    """End this worker process within a second of its parent's death (a daemon thread)."""
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True,
                     name="zoo-parent-watch").start()


def _exit_with_parent(parent: int) -> None:
    """A worker whose flow process was killed stops within a second, so a resumed sweep
    never has two processes training the same cell into one model folder (nor a `zoo tune`
    worker holding its study's lock)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _train_here(cell: ResolvedCell, mirror: str | None, work_dir: str) -> TrainedCell:
    """The body a worker process runs for one cell."""
    data = prepared(cell.spec.dataset, mirror)  # parsed once per worker process
    return train_cell(
        cell, data, Path(work_dir),
        on_epoch=lambda log: _progress.put((cell.label, log)),
        corpus=functools.partial(pretrain_corpus, mirror=mirror))


def _relay(progress) -> None:
    """Parent side: hand each worker's epoch report to the cell's on_epoch."""
    while (item := progress.get()) is not None:
        label, log = item
        if (listener := _listeners.get(label)) is not None:
            listener(log)


class _Pool:
    """Worker processes with their own progress queue and the parent's relay thread.

    A pool broken by a killed worker is replaced whole, queue included: the worker may have
    died inside `put`, holding the queue's cross-process write lock for good, and a fresh
    worker writing to that queue would then block forever (seen on CI: a hung test run).
    """

    def __init__(self, parallel: int, threads: int):
        self.parallel, self.threads = parallel, threads
        context = multiprocessing.get_context("spawn")
        self.progress = context.SimpleQueue()
        self.relay = threading.Thread(target=_relay, args=(self.progress,), daemon=True,
                                      name="zoo-epoch-relay")
        self.relay.start()
        # spawn, never fork: the parent runs Prefect's and MLflow's threads, and a fork of a
        # process with threads may copy a held lock.
        self.executor = ProcessPoolExecutor(
            max_workers=parallel, mp_context=context, initializer=_init_worker,
            initargs=(threads, self.progress, os.getpid()))

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.progress.put(None)  # every writer has exited: the lock is free
        self.relay.join(timeout=10)
        self.progress.close()

    def abandon(self) -> None:
        """A broken pool: its workers are gone; its relay thread stays blocked on the
        queue (a daemon) because a `put` of the stop mark could wait on a dead writer's lock."""
        self.executor.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def cell_pool(parallel: int, threads: int) -> Iterator[None]:
    """Train cells in `parallel` worker processes of `threads` torch threads while open."""
    global _pool, _slots
    with _pool_lock:
        _pool = _Pool(parallel, threads)
        _slots = threading.Semaphore(parallel)
    try:
        yield
    finally:
        with _pool_lock:
            pool, _pool, _slots = _pool, None, None
        pool.close()


@contextlib.contextmanager
def training_slot() -> Iterator[None]:
    """Held while a cell trains: at most one cell per worker process (the pretraining's
    worker included once it is free); free without a pool."""
    slots = _slots
    if slots is None:
        yield
        return
    with slots:
        yield


def pool_open() -> bool:
    return _pool is not None


def train_in_worker(cell: ResolvedCell, work_dir: Path, *, mirror: str | None,
                    on_epoch=None) -> TrainedCell:
    """`zoo.cells.train_cell`, in a worker process when a pool is open, else here."""
    pool = _pool
    if pool is None:
        return train_cell(cell, prepared(cell.spec.dataset, mirror), work_dir,
                          on_epoch=on_epoch,
                          corpus=functools.partial(pretrain_corpus, mirror=mirror))
    if on_epoch is not None:
        _listeners[cell.label] = on_epoch
    try:
        return _result(pool, f"training {cell.label}", "the cell is marked failed, a rerun "
                       "retries it", _train_here, cell, mirror, str(work_dir))
    finally:
        _listeners.pop(cell.label, None)


def run_in_worker(doing: str, consequence: str, fn, *args):
    """`fn(*args)` in one worker process (its threads) when a pool is open, holding a slot
    as a cell would; here without a pool. `fn` must be importable by a spawned process."""
    pool = _pool
    if pool is None:
        return fn(*args)
    with training_slot():
        return _result(pool, doing, consequence, fn, *args)


def _result(pool: _Pool, doing: str, consequence: str, fn, *args):
    """`fn(*args)` in a worker; a killed worker gets a fresh pool and a one-line error."""
    try:
        return pool.executor.submit(fn, *args).result()
    except BrokenProcessPool as exc:
        _replace_broken(pool)
        raise RuntimeError(f"the worker process {doing} died (killed, or out of memory); "
                           f"{consequence}") from exc


def _replace_broken(broken: _Pool) -> None:
    """A killed worker breaks the whole pool: start a new one for the cells still to come."""
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = _Pool(broken.parallel, broken.threads)
    broken.abandon()


def default_parallelism(parallel: int | None = None) -> tuple[int, int]:
    """(cells in parallel, torch threads per cell): never more threads than cores."""
    cores = os.cpu_count() or 1
    # The zoo's small models gain little from a second intra-op thread (batch-32 matmuls),
    # and the profiles' wall-clock budgets make a cell cost fixed time: so run cells side by
    # side, one thread each up to 4 cores, two each beyond. Never more threads than cores.
    per_cell = 1 if cores <= 4 else 2
    parallel = parallel or max(1, cores // per_cell)
    return parallel, max(1, cores // parallel)


def set_threads(threads: int) -> None:
    torch.set_num_threads(threads)


def check_dask(address: str, timeout_s: float = 10.0) -> int:
    """Fail before any training when the Dask scheduler cannot be reached; returns workers."""
    # Imported here: Dask (distributed) is an optional extra, needed only with --runner dask.
    from distributed import Client

    try:
        with Client(address, timeout=timeout_s) as dask_client:
            return len(dask_client.scheduler_info()["workers"])
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"Dask scheduler {address} is unreachable ({exc}); start one with "
                          "`dask scheduler` or drop --dask-address for a local cluster") from None
