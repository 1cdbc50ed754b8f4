"""`ponto-slack worker`: the background loops alone, for deployments with several processes.

It stops on SIGTERM or SIGINT after the work in flight (a sync, a delivery), within a grace period:
anything cut short then was in an open database transaction and is done again by the next worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from storage.db import is_sqlite

from . import background, metrics
from .core import core_resources
from .settings import Settings
from .slack_install import slack_install
from .wiring import Wiring

log = logging.getLogger(__name__)


async def run_worker(settings: Settings, *, grace_seconds: float, metrics_port: int | None = None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if metrics_port is not None:
        metrics.serve_alone(metrics_port)
    if is_sqlite(settings.database_url):
        log.warning(
            "worker on SQLite: it polls every few seconds (no NOTIFY) and long syncs are not lease-renewed; "
            "SQLite suits one `ponto-slack serve`, several processes want PostgreSQL (DATABASE_URL=postgresql+asyncpg://…)"
        )
    wiring = Wiring.of(settings, settings.public_url)  # stand-ins, if any, are mounted in the serving process
    async with core_resources(settings, wiring) as core:
        _oauth_settings, client_for_team = await slack_install(settings, core.engine, wiring, core.cipher)
        loops = background.build(settings, core, client_for_team, role="worker")
        log.info("worker %s started", core.owner)
        task = asyncio.create_task(loops.run(stop), name="background")
        await stop.wait()
        log.info("worker %s stopping: finishing the work in flight (at most %.0f s)", core.owner, grace_seconds)
        _done, late = await asyncio.wait({task}, timeout=grace_seconds)
        if late:
            log.warning("worker %s: work still running after %.0f s; cancelled", core.owner, grace_seconds)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        log.info("worker %s stopped", core.owner)
