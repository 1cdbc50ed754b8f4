"""Renders an outbox row (kind + payload) into Slack text and blocks at delivery time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .blocks import alerts
from .blocks.balances import balance_summary
from .blocks.invoices import invoice_paid, match_question
from .blocks.overview import accounts_overview, disconnected
from .blocks.transactions import import_summary, transaction, transactions_digest

Message = tuple[str, list[dict[str, Any]]]
Renderer = Callable[[dict[str, Any], str], Message]

RENDERERS: dict[str, Renderer] = {
    "accounts_overview": accounts_overview,
    "disconnected": lambda payload, _locale: disconnected(payload),
    "transaction": transaction,
    "transactions_digest": transactions_digest,
    "import_summary": import_summary,
    "balance_summary": balance_summary,
    "reauthorization_needed": alerts.reauthorization_needed,
    "reconnect_needed": alerts.reconnect_needed,
    "organization_blocked": alerts.organization_blocked,
    "organization_unblocked": alerts.organization_unblocked,
    "account_added": alerts.account_added,
    "account_revoked": alerts.account_revoked,
    "slack_paused": alerts.slack_paused,
    "invoice_paid": invoice_paid,
    "match_question": match_question,
}


class UnknownMessageKind(Exception):
    """An outbox row of a kind this version cannot render."""


def render(kind: str, payload: dict[str, Any], locale: str) -> Message:
    try:
        renderer = RENDERERS[kind]
    except KeyError as exc:
        raise UnknownMessageKind(kind) from exc
    return renderer(payload, locale)
