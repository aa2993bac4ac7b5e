"""How a sweep schedules its cells: the order they start in (zoo.sweep.cost.longest_first), the
search used while dev selects an epoch (zoo.cells.selection_decoding), and a worker's watch
on its flow process (zoo.sweep.workers._exit_with_parent)."""
from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from zoo.cells import selection_decoding
from zoo.encoder_decoder import DecodeConfig
from zoo.models import get_entry
from zoo.sweep.cost import expected_cost, longest_first
from zoo.sweep.plan import plan_cells


def test_longest_cells_start_first_and_twins_after_every_float_cell():
    order = longest_first(plan_cells("standard"))
    runtimes = [get_entry(c.model).runtime != "torch" for c in order]
    first_twin = runtimes.index(True)
    assert not any(runtimes[:first_twin]) and all(runtimes[first_twin:])
    costs = [expected_cost(c) for c in order[:first_twin]]
    assert costs == sorted(costs, reverse=True)
    assert (order[0].dataset, order[0].train_size) == ("tatoeba-en-es", 10000)
    # classical fits and floors (seconds each) close the float cells
    assert get_entry(order[first_twin - 1].model).kind != "neural"


class _Seq2Seq:
    decode = DecodeConfig(strategy="beam", beam_size=4)


def test_dev_selection_decodes_greedily_and_restores_the_beam():
    model = _Seq2Seq()
    with selection_decoding(model):
        assert (model.decode.strategy, model.decode.beam_size) == ("greedy", 1)
    assert model.decode == DecodeConfig(strategy="beam", beam_size=4)
    with pytest.raises(RuntimeError), selection_decoding(model):
        raise RuntimeError("a failed epoch")
    assert model.decode.strategy == "beam"  # restored on errors too
    tagger = object()  # no decode: nothing to switch
    with selection_decoding(tagger):
        pass


# The flow process starts a worker with the pool's initializer, then idles a minute: only
# the watch can end it sooner.
WATCHED = """
import os, subprocess, sys
child = subprocess.Popen([sys.executable, "-c", "import sys, time; from zoo.sweep.workers import "
    "_init_worker; _init_worker(1, None, int(sys.argv[1])); print('watching', flush=True); "
    "time.sleep(60)", str(os.getpid())])
print(child.pid, flush=True)
child.wait()
"""


def test_a_worker_exits_when_its_flow_process_is_killed():
    flow = subprocess.Popen([sys.executable, "-c", WATCHED], stdout=subprocess.PIPE, text=True)
    worker = psutil.Process(int(flow.stdout.readline()))
    assert flow.stdout.readline().strip() == "watching"  # initialised, the watch runs
    assert worker.is_running() and worker.status() != psutil.STATUS_ZOMBIE
    flow.kill()
    flow.wait()
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        if not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE:
            break
        time.sleep(0.2)
    else:
        worker.kill()
        pytest.fail("the worker outlived its flow process by 10 s")
