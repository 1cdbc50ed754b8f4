"""The worker loop: webhooks first, then due syncs, then the daily summary; never dies on one failure."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import async_sessionmaker

from storage import sync_states, webhook_events

from . import events
from .hints import SyncHints
from .idle import idle
from .summary import queue_daily_summaries
from .sync import Syncer, SyncReport

log = logging.getLogger(__name__)


class Worker:
    def __init__(
        self,
        sessions: async_sessionmaker,
        syncer: Syncer,
        *,
        clock: Callable[[], datetime],
        on_queued: Callable[[], None],
        summary_at: time | None,
        zone: ZoneInfo,
        poll_seconds: float = 5.0,
    ) -> None:
        self._sessions = sessions
        self._syncer = syncer
        self._clock = clock
        self._on_queued = on_queued
        self._summary_at = summary_at
        self._zone = zone
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._hints: dict[int, SyncHints] = {}

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.round(stop)
            except Exception:
                log.exception("worker round failed")
            await idle(self._wake, stop, self._poll)

    async def round(self, stop: asyncio.Event | None = None) -> list[SyncReport]:
        """One pass: apply webhooks, run the due syncs, queue the daily summary when it is time. Told to
        stop, it finishes the sync under way and leaves the other due ones (still due) to the next worker."""
        now = self._clock()
        async with self._sessions.begin() as session:
            pending = await webhook_events.unprocessed(session)
            for connection_id, hints in (await events.apply(session, pending, now=now)).items():
                self._hints.setdefault(connection_id, SyncHints()).merge(hints)
            await webhook_events.mark_processed(session, [e.id for e in pending], now=now)
            due = await sync_states.due(session, now=now)
            summaries = 0
            if self._summary_at is not None:
                summaries = await queue_daily_summaries(session, now=now, at=self._summary_at, zone=self._zone)
        if pending or summaries:
            self._on_queued()
        reports = []
        for connection_id in due:
            if stop is not None and stop.is_set():
                break
            held = self._hints.pop(connection_id, None)
            report = await self._syncer.sync(connection_id, hints=held)
            if held and (report.error or report.skipped):  # kept for the next attempt, not lost
                self._hints.setdefault(connection_id, SyncHints()).merge(held)
            reports.append(report)
            if report.created or report.accounts:
                self._on_queued()
        return reports
