"""One benchmark at a time per working store (ZOO_HOME): two sweeps on one store trained a
cell twice into one model folder and measured another while the other process trained
(issue 14). `zoo bench` refuses at once with one line naming the holder; a flow started
otherwise (a deployment, a schedule) waits for the holder, saying for whom.

The lock is an OS file lock (filelock: flock on Linux), so a killed holder releases it.
"""
from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from zoo import home
from zoo.errors import ZooError

WAIT_LOG_SECONDS = 60.0
_held: set[Path] = set()  # stores this process holds: the flow inside `zoo bench` re-enters


def lock_path() -> Path:
    return home.store_lock_path()


def holder() -> str:
    """Who holds the store's lock, from the note its holder wrote."""
    try:
        note = json.loads(home.store_holder_path().read_text())
    except (OSError, ValueError):
        return "a process that left no note"
    started = time.strftime("%H:%M:%S", time.localtime(note.get("started", 0)))
    return f"pid {note.get('pid')}, {note.get('what')}, since {started}"


def _write_note(what: str) -> None:
    note = home.store_holder_path()
    tmp = note.with_name(f".{note.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "what": what, "started": time.time()}))
    os.replace(tmp, note)


@contextlib.contextmanager
def holding(what: str, *, wait: bool, log=None) -> Iterator[None]:
    """Hold the store for `what`. wait=False: refuse with one line if another holds it;
    wait=True: block until it is free, logging for whom every minute."""
    path, store, note = lock_path(), home.zoo_home(), home.store_holder_path()
    if path in _held:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, thread_local=False)  # Prefect may run the flow on another thread
    while True:
        try:
            lock.acquire(timeout=0 if not wait else WAIT_LOG_SECONDS)
            break
        except Timeout:
            if not wait:
                raise ZooError(f"another benchmark uses {store} ({holder()}); wait for it "
                               "to finish, or set ZOO_HOME to another folder") from None
            if log is not None:
                log(f"waiting for the store {store}: held by {holder()}")
    _held.add(path)
    try:
        _write_note(what)
        yield
    finally:
        _held.discard(path)
        with contextlib.suppress(OSError):
            note.unlink()
        lock.release()


def forget_note() -> None:
    """Remove the holder's note when this process holds the store: for a sweep that is
    leaving without unwinding (zoo.interrupt); the OS lock itself goes with the process."""
    if lock_path() in _held:
        with contextlib.suppress(OSError):
            home.store_holder_path().unlink()
