"""Bolt listeners: thin, each acks, makes one service call and replies."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from . import actions, commands, events, home, payments


def register_listeners(app: AsyncApp) -> None:
    commands.register(app)
    actions.register(app)
    events.register(app)
    home.register(app)
    payments.register(app)
