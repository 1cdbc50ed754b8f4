"""Delivers the outbox to Slack: paced per channel, retried with bounds, each message once.

Every posted message carries its outbox id in Slack message metadata, and the Slack `ts`
is recorded, so later events can update a message instead of posting again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import async_sessionmaker

from i18n import LANGUAGES
from storage import outbox, workspaces
from storage.models import OutboxMessage
from worker import metrics
from worker.idle import idle
from worker.log_context import log_context
from worker.notices import SlackPaused

from .messages import UnknownMessageKind, render, render_row
from .services import utcnow
from .slack_channel import ChannelPoster
from .slack_refusals import ADVICE, BAD_MESSAGE, PAUSE, PLAIN_TEXT_FALLBACK, PLAIN_TEXT_NOTE

log = logging.getLogger(__name__)

ClientForTeam = Callable[[str], Awaitable[AsyncWebClient | None]]


class Notifier:
    def __init__(
        self,
        sessions: async_sessionmaker,
        client_for_team: ClientForTeam,
        *,
        locale: str,
        clock: Callable[[], datetime] = utcnow,
        pace_seconds: float = 1.0,
        max_attempts: int = 8,
        owner: str | None = None,
    ) -> None:
        self._owner = owner
        self._sessions = sessions
        self._client_for_team = client_for_team
        self._locale = locale
        self._clock = clock
        self.poster = ChannelPoster(pace_seconds)
        self._max_attempts = max_attempts
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Deliver now instead of at the next idle tick (called after something is queued)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, idle_seconds: float = 2.0) -> None:
        """Deliver until `stop` is set; an error in one round is logged and the loop goes on."""
        while not stop.is_set():
            self._wake.clear()
            try:
                delivered = await self.deliver_due(stop=stop)
            except Exception:
                log.exception("outbox delivery round failed")
                delivered = 0
            if delivered:
                continue
            await idle(self._wake, stop, idle_seconds)

    async def deliver_due(self, limit: int = 50, *, stop: asyncio.Event | None = None) -> int:
        """Lease due messages and deliver them in order; returns how many were handled. Told to stop, it
        finishes the message under way and gives the rest of its claim back (still queued, in order)."""
        async with self._sessions.begin() as session:
            rows = await outbox.claim_due(session, now=self._clock(), limit=limit, owner=self._owner)
            teams = await workspaces.team_ids(session, {r.workspace_id for r in rows})
            spoken = await workspaces.languages(session, {r.workspace_id for r in rows})
        held: set[tuple[int, str]] = set()  # channels (and whole workspaces) to leave alone this round
        skipped: list[int] = []
        for row in rows:
            stopping = stop is not None and stop.is_set()
            if stopping or (row.workspace_id, row.channel) in held or (row.workspace_id, "*") in held:
                skipped.append(row.id)
                continue
            claimed_as = row.channel  # a name resolved during delivery becomes the id: hold both
            with log_context(workspace=teams.get(row.workspace_id), outbox=row.id):
                locale = LANGUAGES.get(spoken.get(row.workspace_id, ""), self._locale)
                outcome = await self._deliver(row, teams.get(row.workspace_id, ""), locale)
            if outcome == "hold_channel":
                held |= {(row.workspace_id, claimed_as), (row.workspace_id, row.channel)}
            elif outcome == "hold_workspace":
                held.add((row.workspace_id, "*"))
        async with self._sessions.begin() as session:
            await outbox.release(session, skipped)
        return len(rows) - len(skipped)

    async def _deliver(self, row: OutboxMessage, team_id: str, locale: str) -> str:
        try:
            text, blocks = render_row(row.kind, row.payload, locale)
        except UnknownMessageKind as exc:
            await self._finish_failed(row, f"unknown message kind {exc}")
            return "failed"
        client = await self._client_for_team(team_id)
        if client is None:
            await self._pause(row, "no_installation", None)
            return "hold_workspace"
        return await self._attempt(row, client, team_id, text, blocks)

    async def _attempt(
        self, row: OutboxMessage, client: AsyncWebClient, team_id: str, text: str, blocks: list[dict], note: str = ""
    ) -> str:
        """One try; what Slack answers decides: sent, held (channel or workspace), failed, or plain text."""
        try:
            channel_id, ts = await self._send(client, row, team_id, text, blocks)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "unknown_error")
            metrics.SLACK_ERRORS.labels(error).inc()
            if error in PLAIN_TEXT_FALLBACK and blocks:  # the words still go out, rather than nothing
                log.error("outbox %s (%s): Slack refused the layout (%s); sending plain text", row.id, row.kind, error)
                plain = f"{text}\n_(shown as plain text: Slack refused this message's layout)_"
                return await self._attempt(row, client, team_id, plain, [], note=f"{PLAIN_TEXT_NOTE} ({error})")
            if error in BAD_MESSAGE:
                log.error("outbox %s (%s): Slack refused the message: %s", row.id, row.kind, error)
                await self._finish_failed(row, error)
                return "failed"
            if error in PAUSE:
                await self._pause(row, error, client)
                return "hold_workspace"
            await self._retry(row, error, settled=exc.response.status_code < 500)
            return "hold_channel"
        except (aiohttp.ClientError, TimeoutError) as exc:
            metrics.SLACK_ERRORS.labels("network").inc()
            await self._retry(row, f"{type(exc).__name__}: {exc}", settled=False)
            return "hold_channel"
        async with self._sessions.begin() as session:
            await outbox.mark_sent(session, row.id, channel_id=channel_id, ts=ts, now=self._clock(), note=note or None)
        metrics.DELIVERY_SECONDS.observe(max(0.0, (self._clock() - row.created_at).total_seconds()))
        return "sent"

    async def _send(
        self, client: AsyncWebClient, row: OutboxMessage, team_id: str, text: str, blocks: list[dict]
    ) -> tuple[str, str]:
        """Edit, or post once: a claim whose outcome was unknown is looked up in the channel first."""
        if row.payload.get("edit_of"):
            return await self._edit(client, row, text, blocks)
        channel_id = await self.poster.resolve(client, team_id, row.channel)
        if channel_id != row.channel:
            await self._remember_channel(row, channel_id)
            row.channel = channel_id  # as stored now: holds and retries address the id
        found = None
        if row.claims > 1:
            found = await self.poster.already_posted(client, channel_id, row.id, row.created_at)
        ts = found or await self.poster.post(client, channel_id, text, blocks, row.id, str(row.payload.get("id") or ""))
        return channel_id, ts

    async def _edit(self, client: AsyncWebClient, row: OutboxMessage, text: str, blocks: list[dict]) -> tuple[str, str]:
        """chat.update of the message an earlier outbox row posted; returns its channel and ts."""
        async with self._sessions() as session:
            original = await session.get(OutboxMessage, row.payload["edit_of"])
        if original is None or not original.slack_ts or not original.slack_channel_id:
            raise SlackApiError("the message to edit was never posted", {"ok": False, "error": "message_not_found"})
        await self.poster.update(client, original.slack_channel_id, original.slack_ts, text, blocks)
        return original.slack_channel_id, original.slack_ts

    async def _remember_channel(self, row: OutboxMessage, channel_id: str) -> None:
        """A finance channel given by name is stored by id once found, so renaming it changes nothing."""
        async with self._sessions.begin() as session:
            await workspaces.set_finance_channel(session, row.workspace_id, channel_id, replacing=row.channel)
            await outbox.move_pending(session, row.workspace_id, row.channel, channel_id)

    async def _retry(self, row: OutboxMessage, error: str, *, settled: bool) -> None:
        """Hold the whole channel, so its messages still arrive in order."""
        if row.attempts + 1 >= self._max_attempts:
            await self._finish_failed(row, f"gave up after {row.attempts + 1} attempts: {error}")
            return
        delay = min(300, 2 ** (row.attempts + 1))
        log.info("outbox %s: %s; holding %s for %ss", row.id, error, row.channel, delay)
        async with self._sessions.begin() as session:
            await outbox.postpone_channel(
                session,
                row.workspace_id,
                row.channel,
                error=error,
                message_id=row.id,
                until=self._clock() + timedelta(seconds=delay),
                settled=settled,
            )

    async def _pause(self, row: OutboxMessage, error: str, client: AsyncWebClient | None) -> None:
        """Stop posting for the workspace, keep its outbox, and say so once where we still can."""
        log.warning(
            "outbox %s: Slack refused with %s; posting paused for workspace %s", row.id, error, row.workspace_id
        )
        async with self._sessions.begin() as session:
            first = await workspaces.pause_slack(session, row.workspace_id, reason=error, now=self._clock())
            await outbox.release(session, [row.id])
            connector = await workspaces.connector(session, row.workspace_id) if first else None
        if first and connector and client is not None and error in ADVICE:
            notice = SlackPaused(channel=row.channel, reason=error, advice=ADVICE[error])
            text, blocks = render(notice, self._locale)
            try:  # a direct message to whoever connected Ponto: the channel itself is what fails
                await client.chat_postMessage(channel=connector, text=text, blocks=blocks)
            except SlackApiError as exc:
                log.warning("could not tell %s about the pause: %s", connector, exc.response.get("error"))

    async def _finish_failed(self, row: OutboxMessage, error: str) -> None:
        async with self._sessions.begin() as session:
            await outbox.mark_failed(session, row.id, error=error)
