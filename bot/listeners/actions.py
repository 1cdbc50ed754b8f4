"""Button clicks: thin, each acks, calls one service and answers privately."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from worker import queries

from .. import clicks, handlers, home
from ..invocation import Invocation
from ..services import Services
from .replies import answer, from_home


async def ack_link_button(ack: AsyncAck) -> None:
    """A link button still sends an interaction payload, which must be acknowledged."""
    await ack()


async def reconnect(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, services: Services
) -> None:
    await ack()
    await answer(body, respond, client, await handlers.activate(services, client, Invocation.from_action(body)))


async def deactivate_confirmed(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, services: Services
) -> None:
    await ack()
    text, blocks = await handlers.deactivate_confirmed(services, client, Invocation.from_action(body))
    await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=True)


async def reauthorize(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, services: Services
) -> None:
    await ack()
    message = await handlers.reauthorize(services, client, Invocation.from_action(body), body["actions"][0]["value"])
    await answer(body, respond, client, message)


async def more_transactions(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, services: Services) -> None:
    await ack()
    query = queries.TransactionQuery.decode(body["actions"][0]["value"])
    text, blocks = await handlers.transactions_page(services, body["team"]["id"], query)
    await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)


async def match_click(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, services: Services
) -> None:
    """A question's button (`match_pick_N`, `_all`, `_none`) or the Undo of a paid message."""
    await ack()
    undo = body["actions"][0]["action_id"] == "match_undo"
    await answer(body, respond, client, await clicks.click(services, client, body, undo=undo))
    if from_home(body):  # the question answered there leaves the list
        await home.publish(services, client, body["team"]["id"], body["user"]["id"])


def register(app: AsyncApp) -> None:
    app.action(re.compile(r"^match_pick_(\d+|none|all)$"))(match_click)
    app.action("match_undo")(match_click)
    app.action("consent_link")(ack_link_button)
    app.action("reconnect")(reconnect)
    app.action("deactivate_confirm")(deactivate_confirmed)
    app.action("reauthorize")(reauthorize)
    app.action("transactions_more")(more_transactions)
