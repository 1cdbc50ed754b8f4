"""Paying supplier invoices: the Pay buttons open the form; its submission is answered at once and
Ponto is called after (see bot.payments)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from .. import payments
from ..blocks.payments import BULK_FORM, SINGLE_FORM
from ..invocation import Invocation
from ..services import Services
from .replies import answer


async def pay_clicked(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, services: Services
) -> None:
    """A Pay button (one invoice) or "Pay several at once" (a bulk payment)."""
    await ack()
    action = body["actions"][0]
    inv = Invocation.from_action(body)
    bulk = action["action_id"] == "pay_bulk_open"
    numbers = [] if bulk else [str(action.get("value") or "")]
    refused = await payments.open_form(services, client, inv, numbers, trigger_id=inv.trigger_id or "", bulk=bulk)
    if refused is not None:
        await answer(body, respond, client, refused)


async def form_submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    reply = await payments.submitted(services, client, body)
    await ack(**reply.ack)
    if reply.then is not None:
        await reply.then()


async def ack_link_button(ack: AsyncAck) -> None:
    await ack()


def register(app: AsyncApp) -> None:
    app.action("pay_open")(pay_clicked)
    app.action("pay_bulk_open")(pay_clicked)
    app.action("pay_sign")(ack_link_button)
    app.action("pay_activate")(ack_link_button)
    app.view(SINGLE_FORM)(form_submitted)
    app.view(BULK_FORM)(form_submitted)
