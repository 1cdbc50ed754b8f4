"""The `/ponto` slash command."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from .. import handlers
from ..invocation import Invocation
from ..services import Services


async def ponto_command(
    ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, services: Services
) -> None:
    await ack()
    noted = False

    async def note(text: str) -> None:  # a progress note, replaced by the next one and by the answer
        nonlocal noted
        await respond(text=text, response_type="ephemeral", replace_original=noted)
        noted = True

    text, blocks = await handlers.run(services, client, Invocation.from_command(command), note)
    if text or blocks:  # nothing to say when a form opened instead
        await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=noted)


def register(app: AsyncApp) -> None:
    app.command("/ponto")(ponto_command)
