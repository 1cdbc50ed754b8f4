"""Renders a notice into Slack text and blocks at delivery time, chosen by the notice's type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from worker import notices

from .blocks import alerts
from .blocks.balances import balance_summary
from .blocks.invoices import invoice_paid, match_question
from .blocks.kit import Message, within_limits
from .blocks.overview import accounts_overview, disconnected
from .blocks.payments import payment_update
from .blocks.transactions import import_summary, transaction, transactions_digest

Renderer = Callable[[Any, str], Message]

RENDERERS: dict[type[notices.Notice], Renderer] = {
    notices.AccountsOverview: accounts_overview,
    notices.Disconnected: disconnected,
    notices.TransactionPosted: transaction,
    notices.TransactionsDigest: transactions_digest,
    notices.ImportSummary: import_summary,
    notices.BalanceSummary: balance_summary,
    notices.ReauthorizationNeeded: alerts.reauthorization_needed,
    notices.SyncFailing: alerts.sync_failing,
    notices.ReconnectNeeded: alerts.reconnect_needed,
    notices.OrganizationBlocked: alerts.organization_blocked,
    notices.OrganizationUnblocked: alerts.organization_unblocked,
    notices.AccountAdded: alerts.account_added,
    notices.AccountRevoked: alerts.account_revoked,
    notices.SlackPaused: alerts.slack_paused,
    notices.InvoicePaid: invoice_paid,
    notices.MatchQuestion: match_question,
    notices.PaymentUpdate: payment_update,
}


class UnknownMessageKind(Exception):
    """An outbox row of a kind (or shape) this version cannot render."""


def render(notice: notices.Notice, locale: str) -> Message:
    try:
        renderer = RENDERERS[type(notice)]
    except KeyError as exc:
        raise UnknownMessageKind(notice.kind) from exc
    return within_limits(renderer(notice, locale))


def render_row(kind: str, fields: dict[str, Any], locale: str) -> Message:
    """An outbox row's notice, rendered; an unreadable row raises UnknownMessageKind."""
    try:
        notice = notices.decode(kind, fields)
    except notices.UnknownNotice as exc:
        raise UnknownMessageKind(str(exc)) from exc
    return render(notice, locale)
