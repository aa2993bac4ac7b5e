"""zoo.interrupt on a real process: a signal ends it in seconds, with its clean-ups run,
its children gone, one line printed and the conventional exit status."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

SCRIPT = textwrap.dedent("""
    import subprocess, sys, time
    from pathlib import Path
    from zoo.interrupt import SweepStop

    out, hang = Path(sys.argv[1]), sys.argv[2] == "hang"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    (out / "child").write_text(str(child.pid))
    stop = SweepStop(lambda signum: f"stopped by signal {signum}: 3 cells finished")
    stop.on_stop("first", lambda: (out / "first").write_text("ran"))
    stop.on_stop("failing", lambda: 1 / 0)
    if hang:
        stop.on_stop("hanging", lambda: time.sleep(600))
    with stop.active():
        print("ready", flush=True)
        while True:
            time.sleep(0.05)  # the main thread busy in Python, as a sweep's is
""")


def _start(tmp_path: Path, mode: str = "plain") -> subprocess.Popen:
    script = tmp_path / "sweep.py"
    script.write_text(SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert proc.stdout.readline().strip() == "ready"
    return proc


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_first_signal_cleans_up_and_exits(tmp_path, signum, status):
    proc = _start(tmp_path)
    child = int((tmp_path / "child").read_text())
    sent = time.monotonic()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 10
    assert proc.returncode == status
    assert (tmp_path / "first").read_text() == "ran"  # a failing clean-up does not stop it
    assert "failing failed: ZeroDivisionError" in err
    assert err.strip().endswith(f"stopped by signal {int(signum)}: 3 cells finished")
    assert not psutil.pid_exists(child) or psutil.Process(child).status() == "zombie"


def test_hanging_cleanup_is_bounded_and_second_signal_leaves_at_once(tmp_path):
    proc = _start(tmp_path, "hang")
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)  # the person presses Ctrl-C again
    proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert time.monotonic() - sent < 4  # not the 5 s clean-up budget, let alone 600 s


def test_hanging_cleanup_alone_ends_within_its_budget(tmp_path):
    proc = _start(tmp_path, "hang")
    sent = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143
    assert time.monotonic() - sent < 10
    assert "clean-ups still running after 5 s" in err
