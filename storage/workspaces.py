"""Workspaces (Slack teams)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import PontoConnection, Workspace


async def get_by_team(session: AsyncSession, team_id: str) -> Workspace | None:
    return await session.scalar(select(Workspace).where(Workspace.team_id == team_id))


async def get_or_create(session: AsyncSession, team_id: str, *, finance_channel: str) -> Workspace:
    """The workspace row for a team, created with the default finance channel on first use."""
    workspace = await get_by_team(session, team_id)
    if workspace is None:
        workspace = Workspace(team_id=team_id, finance_channel=finance_channel)
        session.add(workspace)
        await session.flush()
    return workspace


async def languages(session: AsyncSession, workspace_ids: Iterable[int]) -> dict[int, str]:
    """The language chosen for each of these workspaces (those that chose none are left out)."""
    ids = set(workspace_ids)
    if not ids:
        return {}
    query = select(Workspace.id, Workspace.language).where(Workspace.id.in_(ids), Workspace.language.is_not(None))
    return {workspace_id: str(language) for workspace_id, language in (await session.execute(query)).all()}


async def set_finance_channel(
    session: AsyncSession, workspace_id: int, channel_id: str, *, replacing: str | None = None
) -> None:
    """Post to this channel id from now on; with `replacing`, only if that is still the channel."""
    workspace = await session.get(Workspace, workspace_id)
    if workspace is not None and (replacing is None or workspace.finance_channel == replacing):
        workspace.finance_channel = channel_id
        await session.flush()


async def team_ids(session: AsyncSession, workspace_ids: Iterable[int]) -> dict[int, str]:
    ids = set(workspace_ids)
    if not ids:
        return {}
    rows = await session.execute(select(Workspace.id, Workspace.team_id).where(Workspace.id.in_(ids)))
    return {workspace_id: team_id for workspace_id, team_id in rows.all()}


async def pause_slack(session: AsyncSession, workspace_id: int, *, reason: str, now: datetime) -> bool:
    """Stop posting for a workspace (its outbox is kept); True when it was not paused yet."""
    workspace = await session.get(Workspace, workspace_id)
    if workspace is None or workspace.slack_paused_reason is not None:
        return False
    workspace.slack_paused_reason, workspace.slack_paused_at = reason, now
    await session.flush()
    return True


async def resume_slack(session: AsyncSession, team_id: str) -> str | None:
    """Post again; returns the reason it was paused for, if it was."""
    workspace = await get_by_team(session, team_id)
    if workspace is None or workspace.slack_paused_reason is None:
        return None
    reason, workspace.slack_paused_reason, workspace.slack_paused_at = workspace.slack_paused_reason, None, None
    await session.flush()
    return reason


async def connector(session: AsyncSession, workspace_id: int) -> str | None:
    """The Slack user who linked Ponto, to tell them what needs their attention."""

    return await session.scalar(
        select(PontoConnection.connected_by).where(PontoConnection.workspace_id == workspace_id)
    )


async def all_workspaces(session: AsyncSession) -> list[Workspace]:
    return list(await session.scalars(select(Workspace).order_by(Workspace.id)))


async def with_active_connection(session: AsyncSession) -> list[tuple[Workspace, datetime]]:
    """Each workspace whose Ponto connection is active, with when it was connected."""
    rows = await session.execute(
        select(Workspace, PontoConnection.connected_at)
        .join(PontoConnection, PontoConnection.workspace_id == Workspace.id)
        .where(PontoConnection.status == "active")
    )
    return [(workspace, connected_at) for workspace, connected_at in rows.all()]
