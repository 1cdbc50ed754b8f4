"""Choosing the finance channel: by id, checked with Slack, joined when public, an invite asked when private.

The channel is stored by id, so renaming it or making it private later changes nothing; names are
resolved once, here or by the notifier, with the scopes the manifest declares (channels:read, groups:read).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from .formatting import CHANNEL_ID

__all__ = ["CHANNEL_ID", "ChannelCheck", "check", "find_by_name", "make_ready", "parse_reference"]

log = logging.getLogger(__name__)

MENTION = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|([^>]*))?>$")
MAX_PAGES = 50
INVITE = "/invite @Ponto Finance"


@dataclass(frozen=True)
class ChannelCheck:
    """What Slack says about a channel for the app: can it post there now, and if not, why."""

    channel_id: str | None
    name: str
    ready: bool
    problem: str | None = None  # a sentence for the person, with the next step


def parse_reference(text: str) -> tuple[str | None, str]:
    """`<#C123|name>` (escaped) or `#name`/`name` (as typed): an id when given, and the name."""
    text = text.strip()
    mention = MENTION.match(text)
    if mention:
        return mention.group(1), mention.group(2) or ""
    if CHANNEL_ID.match(text):
        return text, ""
    return None, text.lstrip("#").strip().lower()


async def find_by_name(client: AsyncWebClient, name: str) -> dict[str, Any] | None:
    """Public channels, and private ones the app is in (Slack lists no others)."""
    wanted, cursor = name.lstrip("#").lower(), None
    for _ in range(MAX_PAGES):
        page = await client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=200, cursor=cursor
        )
        found: dict[str, Any]
        for found in page.get("channels", []):
            if str(found.get("name", "")).lower() == wanted:
                return found
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None
    return None


async def make_ready(client: AsyncWebClient, channel: dict[str, Any]) -> ChannelCheck:
    """Join a public channel the app is not in yet (so it can post and read back); a private one needs an invite."""
    channel_id, name = str(channel["id"]), str(channel.get("name") or "")
    if channel.get("is_archived"):
        return ChannelCheck(channel_id, name, False, f"#{name} is archived. Choose another channel.")
    if channel.get("is_member"):
        return ChannelCheck(channel_id, name, True)
    if channel.get("is_private"):
        return ChannelCheck(channel_id, name, False, f"#{name} is private: invite the app with `{INVITE}` there.")
    await client.conversations_join(channel=channel_id)
    return ChannelCheck(channel_id, name, True)


async def check(client: AsyncWebClient, reference: str, *, fallback_name: str = "") -> ChannelCheck:
    """Find the channel a person named (id or name) and get the app into it where it can do so itself."""
    channel_id, name = parse_reference(reference)
    name = name or fallback_name
    try:
        if channel_id is None:
            found = await find_by_name(client, name)
            if found is None:
                return ChannelCheck(
                    None,
                    name,
                    False,
                    f"No channel #{name} is visible to the app. If it is private, invite the app with `{INVITE}` "
                    "there first, then run this again.",
                )
        else:
            found = (await client.conversations_info(channel=channel_id)).get("channel") or {}
        return await make_ready(client, found)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "")
        if error == "channel_not_found" and channel_id:  # a private channel the app is not in
            return ChannelCheck(
                channel_id,
                name,
                False,
                f"The app is not in this private channel: invite it with `{INVITE}`, and messages will follow.",
            )
        log.warning("checking channel %s failed: %s", reference, error)
        return ChannelCheck(channel_id, name, False, f"Slack refused to look up the channel ({error}). Try again.")
