"""Private answers to a click: in place of the clicked message's reply (response_url) where Slack gives
one; from the Home tab, which has none, in the app's DM with the person."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from ..blocks.kit import Message


def from_home(body: dict[str, Any]) -> bool:
    return (body.get("container") or {}).get("type") == "view" or (body.get("view") or {}).get("type") == "home"


async def answer(
    body: dict[str, Any],
    respond: AsyncRespond | None,
    client: AsyncWebClient,
    message: Message,
    *,
    replace: bool = False,
) -> None:
    text, blocks = message
    if respond is not None and body.get("response_url"):
        await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=replace)
        return
    await client.chat_postMessage(channel=body["user"]["id"], text=text, blocks=blocks)
