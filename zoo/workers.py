"""Worker processes that train benchmark cells, each with its own torch threads.

Why processes: cells side by side on threads of one Python process share its GIL with each
other and with Prefect's and MLflow's background threads. Measured on wnut16 (full,
cnn_small, 1 torch thread each, Intel Xeon 2 cores): 170 s for the cell in the quick run
on threads, 61-64 s for each of two copies run as two processes side by side
(benchmarks/cell_profile.py). Small models are Python-bound, so the GIL, not the cores,
set their speed.

Only training moves: the parent keeps the MLflow logging, the cache checks and the
latency measurements (serial, nothing beside them). A worker loads each prepared dataset
once (memoized per process) and sends per-epoch progress back on a queue. Without an open
pool (`cell_pool`), `train_cell` trains in the calling process, as tests and Dask workers do.
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

from zoo.cells import CellSpec, TrainedCell
from zoo.cells import train_cell as train_cell_here

_pool: ProcessPoolExecutor | None = None
_pool_args: tuple = ()  # (parallel, threads, progress queue) of the open pool
_pool_lock = threading.Lock()
_progress = None  # the queue a worker sends (label, EpochLog) on; set in each worker
_listeners: dict[str, Callable] = {}  # cell label -> on_epoch, in the parent
_slots: threading.Semaphore | None = None  # one per worker process of the open pool


def _init_worker(threads: int, progress, parent: int) -> None:
    import torch

    global _progress
    torch.set_num_threads(threads)
    _progress = progress
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True,
                     name="zoo-parent-watch").start()


def _exit_with_parent(parent: int) -> None:
    """A worker whose flow process was killed stops within a second, so a resumed sweep
    never has two processes training the same cell into one model folder."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


@functools.lru_cache(maxsize=8)
def _dataset(name: str, mirror: str | None):
    from zoo.bench import load_data

    return load_data(name, mirror)


def _train_in_worker(spec: CellSpec, mirror: str | None, work_dir: str) -> TrainedCell:
    from zoo.bench import pretrain_corpus

    data = _dataset(spec.dataset, mirror)
    return train_cell_here(
        spec, data, Path(work_dir),
        on_epoch=lambda log: _progress.put((spec.label, log)),
        corpus=functools.partial(pretrain_corpus, mirror=mirror))


def _relay(progress) -> None:
    """Parent side: hand each worker's epoch report to the cell's on_epoch."""
    while (item := progress.get()) is not None:
        label, log = item
        if (listener := _listeners.get(label)) is not None:
            listener(log)


def _new_pool(parallel: int, threads: int, progress) -> ProcessPoolExecutor:
    # spawn, never fork: the parent runs Prefect's and MLflow's threads, and a fork of a
    # process with threads may copy a held lock.
    return ProcessPoolExecutor(max_workers=parallel,
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(threads, progress, os.getpid()))


@contextlib.contextmanager
def cell_pool(parallel: int, threads: int) -> Iterator[None]:
    """Train cells in `parallel` worker processes of `threads` torch threads while open."""
    global _pool, _pool_args, _slots
    progress = multiprocessing.get_context("spawn").SimpleQueue()
    relay = threading.Thread(target=_relay, args=(progress,), daemon=True,
                             name="zoo-epoch-relay")
    relay.start()
    with _pool_lock:
        _pool_args = (parallel, threads, progress)
        _pool = _new_pool(*_pool_args)
        _slots = threading.Semaphore(parallel)
    try:
        yield
    finally:
        with _pool_lock:
            pool, _pool, _slots = _pool, None, None
        pool.shutdown(wait=True, cancel_futures=True)
        progress.put(None)
        relay.join(timeout=10)
        progress.close()


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


def train_cell(spec: CellSpec, data, work_dir: Path, *, mirror: str | None,
               on_epoch=None, corpus=None) -> TrainedCell:
    """`zoo.cells.train_cell`, in a worker process when a pool is open."""
    pool = _pool
    if pool is None:
        return train_cell_here(spec, data, work_dir, on_epoch=on_epoch, corpus=corpus)
    if on_epoch is not None:
        _listeners[spec.label] = on_epoch
    try:
        return _result(pool, f"training {spec.label}", "the cell is marked failed, a rerun "
                       "retries it", _train_in_worker, spec, mirror, str(work_dir))
    finally:
        _listeners.pop(spec.label, None)


def run_pretraining(cells: list[CellSpec], mirror: str | None) -> list[dict]:
    """`zoo.bench.run_pretraining`, in one worker process (its threads) when a pool is
    open, so the other workers train the cells that need no pretraining meanwhile."""
    from zoo import bench

    pool = _pool
    if pool is None:
        return bench.run_pretraining(cells, mirror)
    with training_slot():  # it occupies a worker as a cell would
        return _result(pool, "pretraining the biLM", "its cells pretrain on their own when "
                       "they train", bench.run_pretraining, cells, mirror)


def _result(pool: ProcessPoolExecutor, doing: str, consequence: str, fn, *args):
    """`fn(*args)` in a worker; a killed worker gets a fresh pool and a one-line error."""
    try:
        return pool.submit(fn, *args).result()
    except BrokenProcessPool as exc:
        _replace_broken(pool)
        raise RuntimeError(f"the worker process {doing} died (killed, or out of memory); "
                           f"{consequence}") from exc


def _replace_broken(broken: ProcessPoolExecutor) -> None:
    """A killed worker breaks the whole pool: start a new one for the cells still to come."""
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = _new_pool(*_pool_args)
    broken.shutdown(wait=False, cancel_futures=True)
