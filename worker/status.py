"""The status read model: what `/ponto status` shows, and who connected Ponto (plain values, no rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import accounts as account_store, connections, outbox, sync_states, workspaces

from .views import AccountView


@dataclass(frozen=True)
class ConnectionView:
    organization: str  # its name, else its Ponto id
    status: str  # active, broken, blocked, disconnected
    connected_by: str | None
    connected_at: datetime


@dataclass(frozen=True)
class SyncProblem:
    """An account whose synchronizations fail: "authorization" (renew) or "bank" (Ponto keeps trying)."""

    account_id: str
    name: str
    iban: str
    problem: str
    since: datetime | None


@dataclass(frozen=True)
class Status:
    """What `/ponto status` shows."""

    connection: ConnectionView | None
    accounts: list[AccountView] = field(default_factory=list)
    outbox: dict[str, int] = field(default_factory=dict)
    finance_channel: str | None = None
    paused_reason: str | None = None
    sync_error: str | None = None
    last_sync: datetime | None = None
    sync_problems: list[SyncProblem] = field(default_factory=list)
    plain_text_messages: int = 0  # posted without their layout: Slack refused it


async def status(session: AsyncSession, team_id: str) -> Status:
    workspace = await workspaces.get_by_team(session, team_id)
    if workspace is None:
        return Status(None)
    connection = await connections.get_for_workspace(session, workspace.id)
    sync = await sync_states.get(session, connection.id) if connection else None
    accounts = await account_store.list_active(session, workspace.id)
    times = [a.synchronized_at for a in accounts if a.synchronized_at]
    view = None
    if connection is not None:
        organization = connection.organization_name or connection.organization_id
        view = ConnectionView(organization, connection.status, connection.connected_by, connection.connected_at)
        if connection.last_sync_at:
            times.append(connection.last_sync_at)
    return Status(
        connection=view,
        accounts=[
            AccountView(a.reference, a.name, a.currency, a.current_balance, a.available_balance) for a in accounts
        ],
        outbox=await outbox.counts(session, workspace.id),
        finance_channel=workspace.finance_channel,
        paused_reason=workspace.slack_paused_reason,
        sync_error=sync.last_error if sync else None,
        last_sync=max(times, default=None),
        plain_text_messages=await outbox.sent_as_plain_text(session, workspace.id),
        sync_problems=[
            SyncProblem(a.ponto_id, a.name, a.reference, a.sync_problem, a.sync_problem_since)
            for a in accounts
            if a.sync_problem
        ],
    )


async def connected_by(session: AsyncSession, team_id: str) -> str | None:
    """The user who linked the active connection, if any."""
    workspace = await workspaces.get_by_team(session, team_id)
    connection = await connections.get_for_workspace(session, workspace.id) if workspace else None
    return connection.connected_by if connection is not None and connection.status == "active" else None


async def finance_channel(session: AsyncSession, team_id: str) -> str | None:
    """Where the workspace's updates go: a channel id, or a name not resolved yet."""
    workspace = await workspaces.get_by_team(session, team_id)
    return workspace.finance_channel if workspace else None
