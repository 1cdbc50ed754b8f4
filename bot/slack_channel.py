"""Posting to Slack channels: paced per channel, names resolved once, a lost post found by its metadata."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from . import finance_channel

log = logging.getLogger(__name__)

CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
METADATA_EVENT = "ponto_slack_outbox"


class ChannelPoster:
    """One per process: remembers when each channel was last posted to and which names mean which ids."""

    def __init__(self, pace_seconds: float) -> None:
        self._pace = pace_seconds
        self._last_post: dict[str, float] = {}
        self._channel_ids: dict[tuple[str, str], str] = {}
        self._joined: set[str] = set()

    async def already_posted(
        self, client: AsyncWebClient, channel_id: str, outbox_id: int, created_at: datetime
    ) -> str | None:
        """After a claim whose outcome is unknown, the message may be in Slack: find it by its outbox id.

        A refused lookup (the app left the channel, a scope is missing) is logged and counts as not found:
        posting goes on, at worst twice, rather than stopping for the whole workspace.
        """
        oldest = str((created_at - timedelta(minutes=1)).timestamp())
        cursor = None
        for _ in range(10):
            try:
                page = await client.conversations_history(
                    channel=channel_id, oldest=oldest, limit=200, include_all_metadata=True, cursor=cursor
                )
            except SlackApiError as exc:
                log.warning(
                    "outbox %s: could not check %s for an earlier post (%s); posting",
                    outbox_id,
                    channel_id,
                    exc.response.get("error"),
                )
                return None
            message: dict[str, Any]
            for message in page.get("messages", []):
                metadata: dict[str, Any] = message.get("metadata") or {}
                if (
                    metadata.get("event_type") == METADATA_EVENT
                    and (metadata.get("event_payload") or {}).get("outbox_id") == outbox_id
                ):
                    log.info(
                        "outbox %s was posted before a restart (ts %s); not posting again", outbox_id, message["ts"]
                    )
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    async def post(
        self,
        client: AsyncWebClient,
        channel_id: str,
        text: str,
        blocks: list[dict],
        outbox_id: int,
        ref: str | None = None,
    ) -> str:
        await self.pace(channel_id)
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": outbox_id, "ref": ref or ""}}

        async def post_once() -> AsyncSlackResponse:
            return await client.chat_postMessage(
                channel=channel_id, text=text, blocks=blocks, unfurl_links=False, metadata=metadata
            )

        try:
            response = await post_once()
        except SlackApiError as exc:
            if exc.response.get("error") != "not_in_channel" or channel_id in self._joined:
                raise
            self._joined.add(channel_id)
            await client.conversations_join(channel=channel_id)  # public channels only; else raises
            response = await post_once()
        finally:
            self._last_post[channel_id] = time.monotonic()
        return str(response["ts"])

    async def pace(self, channel_id: str) -> None:
        """About one message per second per channel, as Slack asks of chat.postMessage."""
        last = self._last_post.get(channel_id)
        if last is not None:
            wait = self._pace - (time.monotonic() - last)
            if wait > 0:
                await asyncio.sleep(wait)

    async def resolve(self, client: AsyncWebClient, team_id: str, channel: str) -> str:
        """An id as is; a name ('#finance' or 'finance') looked up once, joined when public, and cached."""
        if CHANNEL_ID.match(channel):
            return channel
        key = (team_id, channel.lstrip("#").lower())
        if key in self._channel_ids:
            return self._channel_ids[key]
        found = await finance_channel.find_by_name(client, key[1])
        if found is None:
            raise SlackApiError(f"channel {channel} not found", {"ok": False, "error": "channel_not_found"})
        ready = await finance_channel.make_ready(client, found)
        if not ready.ready:
            raise SlackApiError(str(ready.problem), {"ok": False, "error": "not_in_channel"})
        self._channel_ids[key] = str(found["id"])
        self._joined.add(str(found["id"]))
        return str(found["id"])

    async def update(self, client: AsyncWebClient, channel_id: str, ts: str, text: str, blocks: list[dict]) -> None:
        """chat.update of a message posted earlier, paced like a post."""
        await self.pace(channel_id)
        await client.chat_update(channel=channel_id, ts=ts, text=text, blocks=blocks)
