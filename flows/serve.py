"""Serve the benchmark flow on a cron schedule in this process until Ctrl-C or SIGTERM.

Why not `Flow.serve()`: on SIGTERM, Prefect's runner calls its sync `stop()` from inside its
own event loop, which hands back the `astop()` coroutine unawaited and exits, printing
"coroutine 'Runner.astop' was never awaited" (Prefect 3.x). Here both signals cancel the
runner's task, so its own shutdown runs and the process exits 0 with one line.
"""
from __future__ import annotations

import asyncio
import signal


async def _serve(flow, name: str, cron: str, parameters: dict) -> None:
    from prefect.runner import Runner

    runner = Runner(name=name)
    await runner.aadd_flow(flow, name=name, cron=cron, parameters=parameters)
    serving = asyncio.ensure_future(runner.start())
    await asyncio.sleep(0)  # runner.start() installs its SIGTERM handler first thing...
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # ...which these replace
        loop.add_signal_handler(sig, serving.cancel)
    try:
        await serving
    except asyncio.CancelledError:
        pass


def serve_until_stopped(flow, name: str, cron: str, parameters: dict) -> None:
    asyncio.run(_serve(flow, name, cron, parameters))
