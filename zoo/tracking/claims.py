"""Each cell trained once by sweeps that share one MLflow store (a team's server).

The store lock (zoo.store_lock) keeps two sweeps of one ZOO_HOME apart; team members each
have their own ZOO_HOME and meet only in the tracking server. So the claim lives where the
results live: a cell's RUNNING run is its claim, and the run's sweep (its parent run) proves
it alive with a heartbeat tag that one thread of the sweep refreshes. A sweep that finds a
live claim waits for that run to finish and reuses it; a claim whose sweep is gone (its
process dead on this host, or its heartbeat older than STALE_AFTER_S) is taken over and its
run marked KILLED. Two sweeps that create a run for one cell at the same moment both see
both runs; the older (start time, then run id) wins and the other withdraws.

Why not Prefect's global concurrency limits: two sweeps may share an MLflow server with
different Prefect servers (or ephemeral ones), and an MLflow run outlives any Prefect slot.
"""
from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

from zoo.tracking import schema
from zoo.tracking.runs import cell_runs, pid_alive
from zoo.tracking.store import client

HEARTBEAT_S = 20.0  # how often a sweep refreshes its parent run's heartbeat
STALE_AFTER_S = 120.0  # a sweep whose heartbeat is older is gone (six beats missed)
WAIT_POLL_S = 5.0  # how often a waiting sweep looks at the run it waits for


@contextlib.contextmanager
def heartbeat(parent_id: str, every_s: float = HEARTBEAT_S) -> Iterator[None]:
    """Refresh the sweep's heartbeat tag on its parent run until the block ends."""
    stop = threading.Event()

    def beat() -> None:
        while True:
            with contextlib.suppress(Exception):  # a missed beat is retried; never fatal
                client().set_tag(parent_id, schema.HEARTBEAT, f"{time.time():.0f}")
            if stop.wait(every_s):
                return

    thread = threading.Thread(target=beat, name="zoo-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def sweep_alive(parent, now: float | None = None) -> bool:
    """Whether the sweep that owns a parent run still runs: RUNNING, and its process alive
    (same host) or its heartbeat fresh (another host)."""
    if parent is None or parent.info.status != "RUNNING":
        return False
    tags = parent.data.tags
    if tags.get(schema.PARENT_HOST) == socket.gethostname():
        return pid_alive(int(tags.get(schema.PARENT_PID, "0") or 0))
    beat = float(tags.get(schema.HEARTBEAT, "0") or 0)
    return ((now or time.time()) - beat) < STALE_AFTER_S


def _parent_of(run):
    parent_id = run.data.tags.get(schema.PARENT)
    if not parent_id:
        return None
    try:
        return client().get_run(parent_id)
    except Exception:  # noqa: BLE001 - a deleted parent: nobody owns the run
        return None


def live_claims(exp_id: str, key: str, my_parent: str | None) -> list:
    """The cell's RUNNING runs that another live sweep owns, oldest first."""
    runs = [r for r in cell_runs(exp_id, key)
            if r.info.status == "RUNNING" and claimed_elsewhere(r, my_parent)]
    return sorted(runs, key=_claim_order)


def claimed_elsewhere(run, my_parent: str | None) -> bool:
    """Whether another sweep, still alive, owns this cell run."""
    return (run.data.tags.get(schema.PARENT) != my_parent
            and sweep_alive(_parent_of(run)))


def _claim_order(run) -> tuple[int, str]:
    return run.info.start_time or 0, run.info.run_id


def won(exp_id: str, key: str, my_run_id: str, my_parent: str | None) -> str | None:
    """After creating `my_run_id` for the cell: None if this sweep's claim stands, else the
    run id of the older live claim, after withdrawing this one."""
    rivals = live_claims(exp_id, key, my_parent)
    mine = client().get_run(my_run_id)
    older = [r for r in rivals if _claim_order(r) < _claim_order(mine)]
    if not older:
        return None
    # Deleted, not KILLED: it never trained, and a team browsing the experiment should find
    # one run per cell (a deleted run stays restorable from MLflow's trash).
    client().delete_run(my_run_id)
    return older[0].info.run_id


def wait_for(run_id: str, poll_s: float = WAIT_POLL_S) -> str | None:
    """Wait until another sweep's run ends: "FINISHED" to reuse it, None when it failed or
    its sweep went away (the caller then trains the cell itself)."""
    while True:
        run = client().get_run(run_id)
        if run.info.status == "FINISHED":
            return "FINISHED"
        if run.info.status != "RUNNING" or not sweep_alive(_parent_of(run)):
            return None
        time.sleep(poll_s)


def stop_sweep_runs(exp_id: str, parent_id: str, reason: str) -> int:
    """A stopped sweep's runs: a cell still training is KILLED (the next sweep retrains it),
    a trained one stays RUNNING at its `trained` stage (the next sweep measures it), and the
    sweep's own run is KILLED, so other sweeps see its claims gone at once."""
    stopped = 0
    for run in client().search_runs(
            [exp_id], f"tags.`{schema.PARENT}` = '{parent_id}' and attributes.status = 'RUNNING'",
            max_results=1000):
        if run.data.tags.get(schema.STAGE) != schema.STAGE_TRAINED:
            client().set_tag(run.info.run_id, schema.ERROR, reason)
            client().set_terminated(run.info.run_id, status="KILLED")
            stopped += 1
    client().set_tag(parent_id, schema.ERROR, reason)
    client().set_terminated(parent_id, status="KILLED")
    return stopped
