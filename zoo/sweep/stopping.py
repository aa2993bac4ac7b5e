"""What a sweep does on Ctrl-C or SIGTERM (zoo.interrupt does the signal side): mark its
runs so the next sweep resumes them, drop the store lock's note, and say in one line how many
cells finished, how many were stopped, and the command that resumes."""
from __future__ import annotations

import contextlib
import shlex
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from zoo import interrupt, store_lock
from zoo.tracking import claims

FINISHED_STATUSES = ("cached", "trained", "measured")


class SweepProgress:
    """Cells whose training step ended, by outcome, counted from their futures; the signal
    handler reads it (not MLflow: the store may be what the main thread was waiting on)."""

    def __init__(self, total: int):
        self.total = total
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def follow(self, future):
        """Count the training task's outcome when its future completes; returns the future."""
        def counted(done) -> None:
            with contextlib.suppress(Exception):  # a failed task counts as not finished
                status = done.result(raise_on_failure=False).status
                with self._lock:
                    self._counts[status] += 1

        with contextlib.suppress(AttributeError, NotImplementedError):  # a runner without callbacks
            future.add_done_callback(counted)
        return future

    def finished(self) -> int:
        with self._lock:
            return sum(self._counts[s] for s in FINISHED_STATUSES)


def resume_command(argv: list[str] | None = None) -> str:
    """The command line that started this sweep, as a user would type it again."""
    argv = list(sys.argv if argv is None else argv)
    if argv and Path(argv[0]).name in ("zoo", "cli.py", "__main__.py"):
        return shlex.join(["zoo", *argv[1:]])
    return "the same sweep again (its finished cells are reused)"


def summary(progress: SweepProgress, signum: int) -> str:
    name = signal.Signals(signum).name
    done = progress.finished()
    return (f"stopped by {name}: {done} of {progress.total} cells trained or reused, "
            f"{progress.total - done} stopped or not started; resume with: {resume_command()}")


@contextlib.contextmanager
def stoppable(exp_id: str, parent_id: str, progress: SweepProgress) -> Iterator[None]:
    """The sweep's signal handling and its heartbeat (zoo.tracking.claims) for the block."""
    stop = interrupt.SweepStop(lambda signum: summary(progress, signum))
    stop.on_stop("the store lock's note", store_lock.forget_note)
    stop.on_stop("marking the sweep's runs", lambda: claims.stop_sweep_runs(
        exp_id, parent_id, "stopped by a signal before it finished"))
    with stop.active(), claims.heartbeat(parent_id):
        yield
