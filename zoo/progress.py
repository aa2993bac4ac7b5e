"""Progress of a sweep: cells done/total, the current model and epoch, and an ETA.

The flow reports to whichever reporter is installed; the default does nothing, so library
code and tests stay quiet. `zoo bench` installs the rich display on a terminal, one line per finished step
otherwise (LineReporter), and nothing with --quiet.
Cells that train in other processes (Dask workers) report when they finish, not per epoch.
"""
from __future__ import annotations

import sys
import threading


class ProgressReporter:
    def start(self, total_steps: int) -> None: ...

    def status(self, text: str) -> None: ...

    def epoch(self, label: str, epoch: int, total_epochs: int, dev_score: float) -> None: ...

    def step_done(self, label: str, outcome: str, summary: str = "") -> None: ...

    def stop(self) -> None: ...


class LineReporter(ProgressReporter):
    """Without a terminal (CI, a log file, `make bench | tee`): one line per finished step,
    printed as it happens, instead of a live display nobody sees."""

    def __init__(self, stream=None) -> None:
        self._stream = stream
        self._total = 0
        self._done = 0
        self._lock = threading.Lock()

    def _print(self, text: str) -> None:
        # Not print(): inside the flow (log_prints=True) Prefect turns a print to stdout into
        # an INFO log record, which never reached the terminal (the console shows warnings).
        stream = self._stream or sys.stdout
        stream.write(text + "\n")
        stream.flush()

    def start(self, total_steps: int) -> None:
        self._total = total_steps

    def step_done(self, label: str, outcome: str, summary: str = "") -> None:
        with self._lock:
            self._done += 1
            tail = f": {summary}" if summary else ""
            self._print(f"[{self._done}/{self._total}] {outcome} {label}{tail}")


class RichReporter(ProgressReporter):
    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                  MofNCompleteColumn(), TimeElapsedColumn(),
                                  TextColumn("ETA"), TimeRemainingColumn())
        self._task = None
        self._lock = threading.Lock()

    def start(self, total_steps: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task("starting", total=total_steps)

    def status(self, text: str) -> None:
        with self._lock:
            self._progress.update(self._task, description=text)

    def epoch(self, label: str, epoch: int, total_epochs: int, dev_score: float) -> None:
        self.status(f"train {label} epoch {epoch}/{total_epochs} (dev {dev_score:.3f})")

    def step_done(self, label: str, outcome: str, summary: str = "") -> None:
        with self._lock:
            self._progress.update(self._task, advance=1, description=f"{outcome}: {label}")

    def stop(self) -> None:
        self._progress.stop()


_reporter: ProgressReporter = ProgressReporter()


def reporter() -> ProgressReporter:
    return _reporter


def set_reporter(new: ProgressReporter) -> None:
    global _reporter
    _reporter = new
