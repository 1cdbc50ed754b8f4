"""Workspaces (Slack teams)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Workspace


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


async def team_ids(session: AsyncSession, workspace_ids: Iterable[int]) -> dict[int, str]:
    ids = set(workspace_ids)
    if not ids:
        return {}
    rows = await session.execute(select(Workspace.id, Workspace.team_id).where(Workspace.id.in_(ids)))
    return {workspace_id: team_id for workspace_id, team_id in rows.all()}
