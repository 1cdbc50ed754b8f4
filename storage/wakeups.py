"""Waking the background loops of other processes: PostgreSQL's NOTIFY and LISTEN.

A web process that stores a webhook or queues a message tells the workers at once instead of leaving
it to their next poll. On SQLite there is one process, and it wakes its own loops directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from .db import on_postgresql

log = logging.getLogger(__name__)
CHANNEL = "ponto_slack_work"
SYNC, DELIVER = "sync", "deliver"  # what there is to do: webhooks to apply and syncs to run, messages to post
RECONNECT_SECONDS = 5.0


async def announce(engine: AsyncEngine, what: str) -> None:
    """Tell every listening process (this one too) that there is `what` to do; a failure is only logged:
    the workers poll anyway."""
    if not on_postgresql(engine):
        return
    try:
        async with engine.begin() as connection:
            await connection.execute(text("SELECT pg_notify(:channel, :what)"), {"channel": CHANNEL, "what": what})
    except Exception as exc:
        log.warning("could not notify the workers (%s): they find the work at their next poll", exc)


async def listen(engine: AsyncEngine, on_wake: Callable[[str], None], stop: asyncio.Event) -> None:
    """Call `on_wake(what)` for every announcement until `stop`; reconnects after a lost connection."""
    import asyncpg  # PostgreSQL only

    url = make_url(engine.url.render_as_string(hide_password=False)).set(drivername="postgresql")
    dsn = url.render_as_string(hide_password=False)

    def received(_connection: object, _pid: int, _channel: str, payload: str) -> None:
        on_wake(payload)

    while not stop.is_set():
        try:
            connection = await asyncpg.connect(dsn)
        except Exception as exc:
            log.warning("cannot listen for work (%s); polling meanwhile, trying again", exc)
        else:
            try:
                await connection.add_listener(CHANNEL, received)
                on_wake(SYNC)  # anything announced while not listening is found now
                on_wake(DELIVER)
                while not stop.is_set() and not connection.is_closed():
                    try:
                        await asyncio.wait_for(stop.wait(), timeout=RECONNECT_SECONDS)
                    except TimeoutError:
                        pass
            finally:
                await connection.close()
        if not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=RECONNECT_SECONDS)
            except TimeoutError:
                pass
