"""Renders an outbox row (kind + payload) into Slack text and blocks at delivery time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .blocks.overview import accounts_overview, disconnected

Message = tuple[str, list[dict[str, Any]]]
Renderer = Callable[[dict[str, Any], str], Message]

RENDERERS: dict[str, Renderer] = {
    "accounts_overview": accounts_overview,
    "disconnected": lambda payload, _locale: disconnected(payload),
}


class UnknownMessageKind(Exception):
    """An outbox row of a kind this version cannot render."""


def render(kind: str, payload: dict[str, Any], locale: str) -> Message:
    try:
        renderer = RENDERERS[kind]
    except KeyError as exc:
        raise UnknownMessageKind(kind) from exc
    return renderer(payload, locale)
