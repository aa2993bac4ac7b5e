"""Stopping a sweep on Ctrl-C or SIGTERM within seconds, with nothing lost.

Why not let Python and Prefect unwind: a KeyboardInterrupt reaches only the main thread,
which waits on task threads that wait on worker processes in the middle of an epoch; Prefect
turns SIGTERM into a crash and then waits for those threads (about 2 min 20 s measured), and
its ephemeral server outlived the sweep. Service managers, `docker stop` and Kubernetes send
SIGTERM and wait 10 to 30 s before SIGKILL.

So the first signal runs the sweep's registered clean-ups in the signal handler itself (newest
first, each bounded), ends every process this one started (the worker pool, the ephemeral
Prefect server), prints one line and leaves with 128 + the signal's number (130 for SIGINT,
143 for SIGTERM). A second signal leaves at once. Everything a clean-up does not finish is
what a killed sweep leaves anyway, and the next sweep resumes from it (zoo.store_lock's lock
is an OS lock; runs of dead processes are resumed or retrained).
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator

import psutil

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
CHILD_GRACE_S = 3.0  # SIGTERM to the children, then SIGKILL for whatever still runs
# The clean-ups run on their own thread, joined for at most this long: the handler runs on
# the main thread between two bytecodes, maybe while it holds a lock a clean-up needs (a
# database connection's), and must never wait on it forever.
CLEANUP_BUDGET_S = 5.0

Cleanup = Callable[[], None]


class SweepStop:
    """The handlers of one sweep: register clean-ups with `on_stop`, install with `active`."""

    def __init__(self, summary: Callable[[int], str]):
        self._summary = summary  # signal number -> the one line to print
        self._cleanups: list[tuple[str, Cleanup]] = []
        self._lock = threading.Lock()
        self.signum: int | None = None

    def on_stop(self, what: str, cleanup: Cleanup) -> None:
        """Run `cleanup` on the first signal (clean-ups run newest first)."""
        with self._lock:
            self._cleanups.append((what, cleanup))

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @contextlib.contextmanager
    def active(self) -> Iterator[SweepStop]:
        """Install the handlers for the block (main thread only: Python's rule), and put
        back the ones that were there before."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        before = {sig: signal.signal(sig, self._handle) for sig in STOP_SIGNALS}
        try:
            yield self
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)

    def _handle(self, signum: int, _frame) -> None:
        if self.signum is not None:  # the second signal: leave now
            os._exit(128 + signum)
        self.signum = signum
        # Children first: a worker in the middle of an epoch stops computing, and the
        # clean-ups' MLflow writes do not compete with it for the cores.
        terminate_children()
        worker = threading.Thread(target=self._run_cleanups, daemon=True)
        worker.start()
        worker.join(CLEANUP_BUDGET_S)
        if worker.is_alive():
            _say(f"while stopping: clean-ups still running after {CLEANUP_BUDGET_S:.0f} s; "
                 "the next sweep resumes from what they left")
        terminate_children()  # anything a clean-up started, or a pool that re-spawned
        # Not print(): inside a Prefect flow with log_prints it becomes a log record with a
        # prefix; the user's one line goes to the terminal as it is.
        _say(self._summary(signum))
        sys.stdout.flush()
        os._exit(128 + signum)


    def _run_cleanups(self) -> None:
        with self._lock:
            cleanups = list(reversed(self._cleanups))
        for what, cleanup in cleanups:
            try:
                cleanup()
            except Exception as exc:  # noqa: BLE001 - one failed clean-up must not stop the rest
                _say(f"while stopping: {what} failed: {type(exc).__name__}: {exc}")


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def terminate_children(grace_s: float = CHILD_GRACE_S) -> int:
    """SIGTERM to every descendant of this process, SIGKILL to those alive after `grace_s`;
    returns how many there were."""
    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return 0
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=grace_s)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()
    psutil.wait_procs(alive, timeout=grace_s)
    return len(children)


def ignore_in_worker() -> None:
    """For a worker process's initializer: Ctrl-C at a terminal signals the whole
    foreground process group, and a worker that dies of it prints a traceback for every
    cell; the sweep's own handler ends the workers instead."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
