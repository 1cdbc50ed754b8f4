"""What each Ponto webhook means for us: which connections to sync, which messages to post."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox, sync_states
from storage.models import PontoConnection, WebhookEvent, Workspace

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
    }
)
ORGANIZATION_STATUS = {
    "pontoConnect.organization.blocked": ("blocked", "organization_blocked"),
    "pontoConnect.organization.unblocked": ("active", "organization_unblocked"),
}


async def apply(session: AsyncSession, events: list[WebhookEvent], *, now: datetime) -> dict[int, dict[str, str]]:
    """Mark connections due and queue status messages; returns sync hints per connection."""
    hints: dict[int, dict[str, str]] = defaultdict(dict)
    for event in events:
        rows = await session.scalars(
            select(PontoConnection).where(PontoConnection.organization_id == event.organization_id)
        )
        for connection in rows:
            if event.event_type in SYNC_EVENTS and connection.status == "active":
                await sync_states.sync_now(session, connection.id, now=now)
                if event.account_id and event.synchronization_id:
                    hints[connection.id][event.account_id] = event.synchronization_id
                else:
                    hints.setdefault(connection.id, {})
            elif event.event_type in ORGANIZATION_STATUS and connection.status in ("active", "blocked"):
                status, kind = ORGANIZATION_STATUS[event.event_type]
                connection.status = status
                workspace = await session.get(Workspace, connection.workspace_id)
                assert workspace is not None
                await outbox.enqueue(
                    session,
                    workspace_id=workspace.id,
                    channel=workspace.finance_channel,
                    kind=kind,
                    payload={"organization_name": connection.organization_name},
                    now=now,
                    dedupe_key=f"{kind}:{event.event_id}",
                )
                if status == "active":
                    await sync_states.sync_now(session, connection.id, now=now)
            elif event.event_type == "pontoConnect.integration.revoked" and connection.status != "disconnected":
                connection.status = "broken"
                workspace = await session.get(Workspace, connection.workspace_id)
                assert workspace is not None
                await outbox.enqueue(
                    session,
                    workspace_id=workspace.id,
                    channel=workspace.finance_channel,
                    kind="reconnect_needed",
                    now=now,
                    payload={
                        "organization_name": connection.organization_name,
                        "connected_by": connection.connected_by,
                        "revoked": True,
                    },
                    dedupe_key=f"broken:{connection.id}:{connection.connected_at.isoformat()}",
                )
    return dict(hints)
