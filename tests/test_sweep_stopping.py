"""The stopped sweep's one line: counts from the training futures, and the command that
resumes it."""
from __future__ import annotations

import signal
from concurrent.futures import Future
from types import SimpleNamespace

from zoo.sweep.stopping import SweepProgress, resume_command, summary


class _Done(Future):
    """A finished future with Prefect's result(raise_on_failure=...) signature."""

    def result(self, timeout=None, raise_on_failure=True):  # noqa: ARG002
        return super().result(timeout)


def test_progress_counts_finished_futures_and_the_line_says_how_to_resume(monkeypatch):
    progress = SweepProgress(total=5)
    for status in ("trained", "cached", "failed"):
        future = _Done()
        progress.follow(future)
        future.set_result(SimpleNamespace(status=status))
    progress.follow(_Done())  # still running: not counted
    monkeypatch.setattr("sys.argv", ["/venv/bin/zoo", "bench", "--models", "bi*,cnn*"])
    line = summary(progress, signal.SIGINT)
    assert line == ("stopped by SIGINT: 2 of 5 cells trained or reused, 3 stopped or not "
                    "started; resume with: zoo bench --models 'bi*,cnn*'")


def test_resume_command_outside_the_cli_names_no_command():
    assert resume_command(["/usr/lib/python3/site-packages/prefect/engine.py"]).startswith(
        "the same sweep again")
    assert resume_command(["/repo/zoo/cli.py", "bench"]) == "zoo bench"
