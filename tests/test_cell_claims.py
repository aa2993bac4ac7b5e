"""zoo.tracking.claims on a real MLflow store: whose claim stands, when a claim is stale,
and what a waiting sweep gets."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

from zoo.tracking import claims, runs, schema
from zoo.tracking.store import client


def _sweep(exp_id: str, *, host: str | None = None, pid: int | None = None,
           beat: float | None = None) -> str:
    parent = runs.start_parent_run(exp_id, "benchmark-test", {})
    tags = {schema.PARENT_HOST: host or socket.gethostname(),
            schema.PARENT_PID: str(pid or os.getpid())}
    if beat is not None:
        tags[schema.HEARTBEAT] = f"{beat:.0f}"
    for k, v in tags.items():
        client().set_tag(parent, k, v)
    return parent


def _cell(exp_id: str, parent: str, key: str = "k1") -> str:
    return runs.start_cell_run(exp_id, parent, "cell", key, {}, {})


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_liveness_by_pid_here_and_by_heartbeat_elsewhere(zoo_home):
    exp = client().create_experiment("claims")
    get = client().get_run
    assert claims.sweep_alive(get(_sweep(exp)))  # this process, this host
    assert not claims.sweep_alive(get(_sweep(exp, pid=_dead_pid())))
    fresh = _sweep(exp, host="other-host", beat=time.time())
    stale = _sweep(exp, host="other-host", beat=time.time() - claims.STALE_AFTER_S - 1)
    assert claims.sweep_alive(get(fresh))
    assert not claims.sweep_alive(get(stale))
    runs.finish_run(fresh, "KILLED")  # a stopped sweep marks its run: no longer alive
    assert not claims.sweep_alive(get(fresh))


def test_older_live_claim_wins_and_the_younger_withdraws(zoo_home):
    exp = client().create_experiment("claims")
    first = _sweep(exp, host="other-host", beat=time.time())
    theirs = _cell(exp, first)
    time.sleep(0.01)
    mine_parent = _sweep(exp)
    mine = _cell(exp, mine_parent)
    assert claims.won(exp, "k1", mine, mine_parent) == theirs
    assert client().get_run(mine).info.lifecycle_stage == "deleted"  # one run per cell left
    assert client().get_run(theirs).info.status == "RUNNING"
    # The older sweep sees no older rival: its claim stands.
    assert claims.won(exp, "k1", theirs, first) is None


def test_a_dead_sweeps_claim_does_not_count(zoo_home):
    exp = client().create_experiment("claims")
    dead = _sweep(exp, pid=_dead_pid())
    _cell(exp, dead)
    mine_parent = _sweep(exp)
    mine = _cell(exp, mine_parent)
    assert claims.live_claims(exp, "k1", mine_parent) == []
    assert claims.won(exp, "k1", mine, mine_parent) is None


def test_wait_for_returns_finished_or_gives_up_on_a_vanished_sweep(zoo_home):
    exp = client().create_experiment("claims")
    other = _sweep(exp, host="other-host", beat=time.time())
    theirs = _cell(exp, other)
    threading.Timer(0.3, runs.finish_run, (theirs,)).start()
    assert claims.wait_for(theirs, poll_s=0.1) == "FINISHED"
    gone = _sweep(exp, host="other-host", beat=time.time() - claims.STALE_AFTER_S - 1)
    assert claims.wait_for(_cell(exp, gone, "k2"), poll_s=0.1) is None


def test_heartbeat_refreshes_the_parent_tag(zoo_home):
    exp = client().create_experiment("claims")
    parent = _sweep(exp)
    with claims.heartbeat(parent, every_s=0.1):
        time.sleep(0.35)
    beat = float(client().get_run(parent).data.tags[schema.HEARTBEAT])
    assert time.time() - beat < 5


def test_resume_kills_only_leftovers_nobody_alive_owns(zoo_home):
    exp = client().create_experiment("claims")
    live = _cell(exp, _sweep(exp, host="other-host", beat=time.time()))
    leftover = _cell(exp, _sweep(exp, pid=_dead_pid()))
    mine = _sweep(exp)
    found = runs.resumable_cell_run(exp, "k1",
                                    keep=lambda run: claims.claimed_elsewhere(run, mine))
    assert found == (None, None)
    assert client().get_run(live).info.status == "RUNNING"
    assert client().get_run(leftover).info.status == "KILLED"
