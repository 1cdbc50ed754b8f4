"""The Home tab: published on `app_home_opened`; its buttons (connect, sync now) answer in the app's DM,
as the Home tab has no response_url, and publish the tab again."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from .. import handlers, home
from ..invocation import Invocation
from ..services import Services
from .replies import answer


async def opened(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    if event.get("tab", "home") == "home":
        await home.publish(services, client, body.get("team_id") or "", event["user"])


async def connect(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    await ack()
    message = await handlers.activate(services, client, Invocation.from_action(body))
    await answer(body, None, client, message)


async def sync_now(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    await ack()
    inv = Invocation.from_action(body)
    await answer(body, None, client, await handlers.sync(services, inv, handlers.quiet))
    await home.publish(services, client, inv.team_id, inv.user_id)


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(opened)
    app.action("home_connect")(connect)
    app.action("home_sync")(sync_now)
