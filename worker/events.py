"""What each Ponto webhook means for us: which connections to sync, which messages to post."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import connections, payments, sync_states
from storage.models import PontoConnection, WebhookEvent, Workspace

from . import alerts
from .hints import FAILED_EVENT, SyncHints
from .notices import OrganizationBlocked, OrganizationUnblocked
from .notify import notify

SYNC_EVENTS = frozenset(
    {
        "pontoConnect.account.transactionsCreated",
        "pontoConnect.account.transactionsUpdated",
        "pontoConnect.account.pendingTransactionsCreated",
        "pontoConnect.account.pendingTransactionsUpdated",
        "pontoConnect.account.detailsUpdated",
        "pontoConnect.account.reauthorized",
        "pontoConnect.integration.accountAdded",
        "pontoConnect.integration.accountRevoked",
        FAILED_EVENT,
    }
)
ORGANIZATION_STATUS: dict[str, tuple[str, type[OrganizationBlocked | OrganizationUnblocked]]] = {
    "pontoConnect.organization.blocked": ("blocked", OrganizationBlocked),
    "pontoConnect.organization.unblocked": ("active", OrganizationUnblocked),
}


async def apply(session: AsyncSession, events: list[WebhookEvent], *, now: datetime) -> dict[int, SyncHints]:
    """Mark connections due and queue status messages; returns sync hints per connection."""
    hints: dict[int, SyncHints] = defaultdict(SyncHints)
    for event in events:
        if (payment_id := payment_named(event)) is not None:
            await payments.check_soon(session, payment_id, now=now)
            continue
        if not event.organization_id:
            continue  # an event about no organization concerns no connection
        for connection in await connections.of_organization(session, event.organization_id):
            if event.event_type in SYNC_EVENTS and connection.status == "active":
                await sync_states.sync_now(session, connection.id, now=now)
                hints[connection.id].add(event.event_type, event.account_id, event.synchronization_id)
            elif event.event_type in ORGANIZATION_STATUS and connection.status in ("active", "blocked"):
                await _organization_status(session, connection, event, now=now)
            elif event.event_type == "pontoConnect.integration.revoked" and connection.status != "disconnected":
                workspace = await _workspace(session, connection)
                await alerts.mark_broken(session, workspace, connection, now=now, revoked=True)
    return dict(hints)


PAYMENT_EVENTS = ("pontoConnect.payment.", "pontoConnect.bulkPayment.")  # which ones exist is UNCONFIRMED


def payment_named(event: WebhookEvent) -> str | None:
    """The (bulk) payment a payment webhook is about, from its relationships; None for other events."""
    if not event.event_type.startswith(PAYMENT_EVENTS):
        return None
    data = (event.payload or {}).get("data") or event.payload or {}
    relationships = data.get("relationships") or {}
    for name in ("payment", "bulkPayment"):
        found = ((relationships.get(name) or {}).get("data") or {}).get("id")
        if found:
            return str(found)
    return None


async def _organization_status(
    session: AsyncSession, connection: PontoConnection, event: WebhookEvent, *, now: datetime
) -> None:
    """Ponto blocked or unblocked the organization: follow it, say so once per event."""
    status, notice_type = ORGANIZATION_STATUS[event.event_type]
    if connection.status == status:
        return  # already so (a repeated or late event): the channel has been told
    connection.status = status
    workspace = await _workspace(session, connection)
    notice = notice_type(organization_name=connection.organization_name)
    await notify(session, workspace, notice, now=now, dedupe_key=f"{notice.kind}:{event.event_id}")
    if status == "active":
        await sync_states.sync_now(session, connection.id, now=now)


async def _workspace(session: AsyncSession, connection: PontoConnection) -> Workspace:
    workspace = await session.get(Workspace, connection.workspace_id)
    assert workspace is not None
    return workspace
