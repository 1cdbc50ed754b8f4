"""A process's background loops: the sync worker, the notifier, a heartbeat, and on PostgreSQL the
listener that wakes them when a web process announces work.

`serve` runs them beside the web app unless told `--no-worker`; `worker` runs nothing else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.home import HomeRefresher, HomeSettings
from bot.notifier import ClientForTeam, Notifier
from bot.services import utcnow
from storage import heartbeats, wakeups
from storage.db import on_postgresql
from worker.loop import Worker
from worker.payment_follow import PaymentFollower

from .core import Core, take_back_dead_leases
from .settings import Settings

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 10.0
FRESH = timedelta(seconds=3 * HEARTBEAT_SECONDS)  # /healthz: a worker that beat within this is alive


@dataclass
class Background:
    core: Core
    notifier: Notifier
    worker: Worker
    role: str
    homes: HomeRefresher  # "serve" (beside the web app) or "worker"
    payments: PaymentFollower

    def wake_here(self, what: str) -> None:
        """Work was announced: the loop that does it goes now instead of at its next poll."""
        if what == wakeups.SYNC:
            self.worker.wake()
            self.payments.wake()  # a webhook may have named a payment
        else:
            self.notifier.wake()

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: each loop finishes the round in flight (a sync, a delivery) before it ends."""
        async with asyncio.TaskGroup() as group:
            group.create_task(logged("notifier", self.notifier.run(stop)), name="notifier")
            group.create_task(logged("worker", self.worker.run(stop)), name="worker")
            group.create_task(logged("heartbeat", self._beat(stop)), name="heartbeat")
            group.create_task(logged("homes", self.homes.run(stop)), name="homes")
            group.create_task(logged("payments", self.payments.run(stop)), name="payments")
            if on_postgresql(self.core.engine):
                group.create_task(logged("listener", wakeups.listen(self.core.engine, self.wake_here, stop)))

    async def _beat(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with self.core.sessions.begin() as session:
                    await heartbeats.beat(session, self.core.owner, role=self.role, now=utcnow())
                await take_back_dead_leases(self.core.sessions)
            except Exception as exc:  # the database away for a moment: /healthz will say so
                log.warning("heartbeat not recorded: %s", exc)
            try:
                await asyncio.wait_for(stop.wait(), timeout=HEARTBEAT_SECONDS)
            except TimeoutError:
                pass
        async with self.core.sessions.begin() as session:
            await heartbeats.stop(session, self.core.owner)


def build(settings: Settings, core: Core, client_for_team: ClientForTeam, *, role: str) -> Background:
    notifier = Notifier(
        core.sessions,
        client_for_team,
        locale=settings.locale,
        pace_seconds=1 / settings.slack_messages_per_second,
        owner=core.owner,
    )
    worker = Worker(
        core.sessions,
        core.syncer,
        clock=utcnow,
        on_queued=notifier.wake,
        summary_at=settings.daily_summary_time,
        zone=ZoneInfo(settings.timezone),
    )
    zone = ZoneInfo(settings.timezone)
    homes = HomeRefresher(
        core.sessions,
        client_for_team,
        HomeSettings(settings.locale, settings.admin_user_ids),
        clock=utcnow,
        today=lambda: utcnow().astimezone(zone).date(),
    )
    payments = PaymentFollower(
        core.sessions,
        core.syncer.client_for,
        clock=utcnow,
        poll=timedelta(seconds=settings.payment_poll_seconds),
        redirect_uri=f"{settings.public_url}/ponto/paid",
        on_queued=notifier.wake,
    )
    return Background(core, notifier, worker, role, homes, payments)


async def logged(name: str, loop: Coroutine[Any, Any, None]) -> None:
    """A background loop that fails is logged with its traceback, never swallowed or left to kill the app."""
    try:
        await loop
    except Exception:
        log.exception("background task %s stopped with an error", name)
