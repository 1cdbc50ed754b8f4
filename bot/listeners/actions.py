"""Button clicks."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp


async def ack_link_button(ack: AsyncAck) -> None:
    """A link button still sends an interaction payload, which must be acknowledged."""
    await ack()


def register(app: AsyncApp) -> None:
    app.action("consent_link")(ack_link_button)
