"""Delivers the outbox to Slack: paced per channel, retried with bounds, each message once.

Every posted message carries its outbox id in Slack message metadata, and the Slack `ts`
is recorded, so later events can update a message instead of posting again.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage import outbox, workspaces
from storage.models import OutboxMessage

from .messages import UnknownMessageKind, render
from .services import utcnow

log = logging.getLogger(__name__)

ClientForTeam = Callable[[str], Awaitable[AsyncWebClient | None]]
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
METADATA_EVENT = "ponto_slack_outbox"
# Errors that retrying cannot fix; the message is kept as failed and shown in /ponto status.
PERMANENT = frozenset({
    "channel_not_found", "is_archived", "invalid_auth", "not_authed", "account_inactive", "token_revoked",
    "token_expired", "missing_scope", "invalid_blocks", "msg_too_long", "no_text", "msg_blocks_too_long",
    "restricted_action", "not_in_channel", "ekm_access_denied", "method_not_supported_for_channel_type",
})  # fmt: skip
MAX_PAGES = 50


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
    ) -> None:
        self._sessions = sessions
        self._client_for_team = client_for_team
        self._locale = locale
        self._clock = clock
        self._pace = pace_seconds
        self._max_attempts = max_attempts
        self._wake = asyncio.Event()
        self._last_post: dict[str, float] = {}
        self._channel_ids: dict[tuple[str, str], str] = {}

    def wake(self) -> None:
        """Deliver now instead of at the next idle tick (called after something is queued)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, idle_seconds: float = 2.0) -> None:
        """Deliver until `stop` is set; an error in one round is logged and the loop goes on."""
        while not stop.is_set():
            self._wake.clear()
            try:
                delivered = await self.deliver_due()
            except Exception:
                log.exception("outbox delivery round failed")
                delivered = 0
            if delivered:
                continue
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=idle_seconds, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()

    async def deliver_due(self, limit: int = 50) -> int:
        """Lease due messages and deliver them in order; returns how many were handled."""
        async with self._sessions.begin() as session:
            rows = await outbox.claim_due(session, now=self._clock(), limit=limit)
            teams = await workspaces.team_ids(session, {r.workspace_id for r in rows})
        for row in rows:
            await self._deliver(row, teams.get(row.workspace_id, ""))
        return len(rows)

    async def _deliver(self, row: OutboxMessage, team_id: str) -> None:
        try:
            text, blocks = render(row.kind, row.payload, self._locale)
        except UnknownMessageKind:
            await self._finish_failed(row, f"unknown message kind {row.kind!r}")
            return
        client = await self._client_for_team(team_id)
        if client is None:
            await self._finish_failed(row, "no Slack installation for this workspace")
            return
        try:
            channel_id = await self._resolve_channel(client, team_id, row.channel)
            ts = await self._post(client, channel_id, text, blocks, row.id)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "unknown_error")
            if error in PERMANENT:
                log.warning("outbox %s: Slack refused with %s; not retried", row.id, error)
                await self._finish_failed(row, error)
            else:
                await self._retry(row, error)
            return
        except (aiohttp.ClientError, TimeoutError) as exc:
            await self._retry(row, f"{type(exc).__name__}: {exc}")
            return
        async with self._sessions.begin() as session:
            await outbox.mark_sent(session, row.id, channel_id=channel_id, ts=ts, now=self._clock())

    async def _post(
        self, client: AsyncWebClient, channel_id: str, text: str, blocks: list[dict], outbox_id: int
    ) -> str:
        await self._pace_channel(channel_id)
        kwargs = {
            "channel": channel_id,
            "text": text,
            "blocks": blocks,
            "unfurl_links": False,
            "metadata": {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": outbox_id}},
        }
        try:
            response = await client.chat_postMessage(**kwargs)
        except SlackApiError as exc:
            if exc.response.get("error") != "not_in_channel":
                raise
            await client.conversations_join(channel=channel_id)  # public channels only; else raises
            response = await client.chat_postMessage(**kwargs)
        finally:
            self._last_post[channel_id] = time.monotonic()
        return str(response["ts"])

    async def _pace_channel(self, channel_id: str) -> None:
        """About one message per second per channel, as Slack asks of chat.postMessage."""
        last = self._last_post.get(channel_id)
        if last is not None:
            wait = self._pace - (time.monotonic() - last)
            if wait > 0:
                await asyncio.sleep(wait)

    async def _resolve_channel(self, client: AsyncWebClient, team_id: str, channel: str) -> str:
        """An id as is; a name ('#finance' or 'finance') looked up once and cached."""
        if CHANNEL_ID.match(channel):
            return channel
        key = (team_id, channel.lstrip("#").lower())
        if key in self._channel_ids:
            return self._channel_ids[key]
        cursor = None
        for _ in range(MAX_PAGES):
            page = await client.conversations_list(
                types="public_channel,private_channel", exclude_archived=True, limit=200, cursor=cursor
            )
            for found in page.get("channels", []):
                if found.get("name", "").lower() == key[1]:
                    self._channel_ids[key] = found["id"]
                    return str(found["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        raise SlackApiError(f"channel {channel} not found", {"ok": False, "error": "channel_not_found"})

    async def _retry(self, row: OutboxMessage, error: str) -> None:
        if row.attempts + 1 >= self._max_attempts:
            await self._finish_failed(row, f"gave up after {row.attempts + 1} attempts: {error}")
            return
        delay = min(300, 2 ** (row.attempts + 1))
        log.info("outbox %s: %s; retrying in %ss", row.id, error, delay)
        async with self._sessions.begin() as session:
            await outbox.mark_retry(
                session, row.id, error=error, next_attempt_at=self._clock() + timedelta(seconds=delay)
            )

    async def _finish_failed(self, row: OutboxMessage, error: str) -> None:
        async with self._sessions.begin() as session:
            await outbox.mark_failed(session, row.id, error=error)
