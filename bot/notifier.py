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
from worker.idle import idle
from worker.notices import SlackPaused

from .messages import UnknownMessageKind, render, render_row
from .services import utcnow

log = logging.getLogger(__name__)

ClientForTeam = Callable[[str], Awaitable[AsyncWebClient | None]]
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
METADATA_EVENT = "ponto_slack_outbox"
# Slack refuses the workspace or channel itself: stop posting there and keep the outbox (/ponto resume).
PAUSE = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "not_in_channel",
        "method_not_supported_for_channel_type",
        "restricted_action",
        "ekm_access_denied",
        "team_access_not_granted",
    }
)
# The message itself is wrong (a bug): keep it as failed, go on with the others.
BAD_MESSAGE = frozenset(
    {
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
        "msg_blocks_too_long",
        "invalid_metadata_format",
    }
)
ADVICE = {
    "channel_not_found": "Check FINANCE_CHANNEL, or invite the app to the private channel.",
    "not_in_channel": "Invite the app to the channel: /invite @Ponto Finance.",
    "method_not_supported_for_channel_type": "Invite the app to the private channel: /invite @Ponto Finance.",
    "is_archived": "Unarchive the channel or set FINANCE_CHANNEL to another one.",
}
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
        owner: str | None = None,
    ) -> None:
        self._owner = owner
        self._sessions = sessions
        self._client_for_team = client_for_team
        self._locale = locale
        self._clock = clock
        self._pace = pace_seconds
        self._max_attempts = max_attempts
        self._wake = asyncio.Event()
        self._last_post: dict[str, float] = {}
        self._channel_ids: dict[tuple[str, str], str] = {}
        self._joined: set[str] = set()

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
            await idle(self._wake, stop, idle_seconds)

    async def deliver_due(self, limit: int = 50) -> int:
        """Lease due messages and deliver them in order; returns how many were handled."""
        async with self._sessions.begin() as session:
            rows = await outbox.claim_due(session, now=self._clock(), limit=limit, owner=self._owner)
            teams = await workspaces.team_ids(session, {r.workspace_id for r in rows})
        held: set[tuple[int, str]] = set()  # channels (and whole workspaces) to leave alone this round
        skipped: list[int] = []
        for row in rows:
            if (row.workspace_id, row.channel) in held or (row.workspace_id, "*") in held:
                skipped.append(row.id)
                continue
            outcome = await self._deliver(row, teams.get(row.workspace_id, ""))
            if outcome == "hold_channel":
                held.add((row.workspace_id, row.channel))
            elif outcome == "hold_workspace":
                held.add((row.workspace_id, "*"))
        async with self._sessions.begin() as session:
            await outbox.release(session, skipped)
        return len(rows) - len(skipped)

    async def _deliver(self, row: OutboxMessage, team_id: str) -> str:
        try:
            text, blocks = render_row(row.kind, row.payload, self._locale)
        except UnknownMessageKind as exc:
            await self._finish_failed(row, f"unknown message kind {exc}")
            return "failed"
        client = await self._client_for_team(team_id)
        if client is None:
            await self._pause(row, "no_installation", None)
            return "hold_workspace"
        try:
            if row.payload.get("edit_of"):
                channel_id, ts = await self._edit(client, row, text, blocks)
            else:
                channel_id = await self._resolve_channel(client, team_id, row.channel)
                found = await self._already_posted(client, channel_id, row) if row.claims > 1 else None
                ts = found or await self._post(
                    client, channel_id, text, blocks, row.id, str(row.payload.get("id") or "")
                )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "unknown_error")
            if error in BAD_MESSAGE:
                log.error("outbox %s (%s): Slack refused the message: %s", row.id, row.kind, error)
                await self._finish_failed(row, error)
                return "failed"
            if error in PAUSE:
                await self._pause(row, error, client)
                return "hold_workspace"
            await self._retry(row, error)
            return "hold_channel"
        except (aiohttp.ClientError, TimeoutError) as exc:
            await self._retry(row, f"{type(exc).__name__}: {exc}")
            return "hold_channel"
        async with self._sessions.begin() as session:
            await outbox.mark_sent(session, row.id, channel_id=channel_id, ts=ts, now=self._clock())
        return "sent"

    async def _edit(self, client: AsyncWebClient, row: OutboxMessage, text: str, blocks: list[dict]) -> tuple[str, str]:
        """chat.update of the message an earlier outbox row posted; returns its channel and ts."""
        async with self._sessions() as session:
            original = await session.get(OutboxMessage, row.payload["edit_of"])
        if original is None or not original.slack_ts or not original.slack_channel_id:
            raise SlackApiError("the message to edit was never posted", {"ok": False, "error": "message_not_found"})
        await self._pace_channel(original.slack_channel_id)
        await client.chat_update(channel=original.slack_channel_id, ts=original.slack_ts, text=text, blocks=blocks)
        return original.slack_channel_id, original.slack_ts

    async def _already_posted(self, client: AsyncWebClient, channel_id: str, row: OutboxMessage) -> str | None:
        """After a crash, a message may be in Slack though not marked sent: find it by its outbox id."""
        oldest = str((row.created_at - timedelta(minutes=1)).timestamp())
        cursor = None
        for _ in range(10):
            page = await client.conversations_history(
                channel=channel_id, oldest=oldest, limit=200, include_all_metadata=True, cursor=cursor
            )
            for message in page.get("messages", []):
                metadata = message.get("metadata") or {}
                if (
                    metadata.get("event_type") == METADATA_EVENT
                    and (metadata.get("event_payload") or {}).get("outbox_id") == row.id
                ):
                    log.info("outbox %s was posted before a restart (ts %s); not posting again", row.id, message["ts"])
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    async def _post(
        self,
        client: AsyncWebClient,
        channel_id: str,
        text: str,
        blocks: list[dict],
        outbox_id: int,
        ref: str | None = None,
    ) -> str:
        await self._pace_channel(channel_id)
        kwargs = {
            "channel": channel_id,
            "text": text,
            "blocks": blocks,
            "unfurl_links": False,
            "metadata": {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": outbox_id, "ref": ref or ""}},
        }
        try:
            response = await client.chat_postMessage(**kwargs)
        except SlackApiError as exc:
            if exc.response.get("error") != "not_in_channel" or channel_id in self._joined:
                raise
            self._joined.add(channel_id)
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
