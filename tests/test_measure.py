"""Environment fingerprint details."""
from __future__ import annotations

import subprocess

from zoo.measure import git_sha


def test_code_version_is_read_once_per_process(tmp_path):
    """A commit made while a sweep runs must not relabel the sweep's later cells."""
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "a")
    first = git_sha(tmp_path)
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "b")
    assert git_sha(tmp_path) == first and len(first) == 12


def test_load_meter_sees_another_process_spinning():
    """A latency timed beside a busy process says so (issue 28): the meter counts the CPU
    time other processes use during the block, not this process's own."""
    import os
    import subprocess
    import sys
    import time

    from zoo.measure import MachineLoadMeter

    with MachineLoadMeter() as alone:
        time.sleep(0.3)
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)  # the interpreter has started and spins
        with MachineLoadMeter() as beside:
            time.sleep(1.0)
    finally:
        spinner.kill()
        spinner.wait()
    assert beside.result.others_busy_cores > alone.result.others_busy_cores
    assert beside.result.others_busy_cores >= 0.7  # one core spun for the whole block
    with MachineLoadMeter() as own:
        deadline = time.perf_counter() + 0.5
        while time.perf_counter() < deadline:  # this process's own work does not count
            pass
    assert own.result.others_busy_cores < beside.result.others_busy_cores
    assert beside.result.busy(threads=os.cpu_count() or 1)
