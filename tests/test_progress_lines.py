"""Without a terminal, `zoo bench` prints one line per finished step (zoo.progress.
LineReporter) with the cell's score, training time and stop reason, as it happens."""
from __future__ import annotations

import io
from types import SimpleNamespace

from zoo.cells import CellSpec
from zoo.progress import LineReporter
from zoo.sweep.run import summary_line


def test_one_line_per_finished_step_with_the_cells_summary():
    out = io.StringIO()
    lines = LineReporter(out)
    lines.start(4)
    lines.status("train x")  # live status is for terminals: no line
    lines.epoch("x", 1, 10, 0.5)
    spec = CellSpec("sentiment", "mr", "cnn_small", 0.25, 2)
    cell = SimpleNamespace(spec=spec, test={"accuracy": 0.7461}, train_seconds=141.6,
                           epochs=[{}] * 7, stop_reason="early_stopped")
    lines.step_done(spec.label, "trained", summary_line(cell))
    lines.step_done(spec.label, "failed", "RuntimeError: worker died")
    assert out.getvalue().splitlines() == [
        "[1/4] trained cnn_small/mr/n=0.25/seed=2: test accuracy 0.746, trained 142 s in 7 "
        "epochs, early_stopped",
        "[2/4] failed cnn_small/mr/n=0.25/seed=2: RuntimeError: worker died"]
