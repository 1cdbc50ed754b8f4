"""Who opened the Home tab, and the version of the workspace's data it last showed them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .db import affected
from .models import HomeViewer, InvoiceRow, Match, OutboxMessage, PontoConnection, Workspace


async def opened(session: AsyncSession, workspace_id: int, user_id: str, *, now: datetime) -> None:
    """The person opened the tab (and is shown it as the data is now)."""
    shown = await version(session, workspace_id)
    row = await session.scalar(
        select(HomeViewer).where(HomeViewer.workspace_id == workspace_id, HomeViewer.user_id == user_id)
    )
    if row is None:
        session.add(HomeViewer(workspace_id=workspace_id, user_id=user_id, opened_at=now, shown_version=shown))
    else:
        row.opened_at, row.shown_version = now, shown


async def version(session: AsyncSession, workspace_id: int) -> str:
    """Changes whenever what the Home tab shows may have: a message queued (news, paid, a question, an
    alert), an invoice added, a question answered, a sync done."""
    last_message = await session.scalar(
        select(func.max(OutboxMessage.id)).where(OutboxMessage.workspace_id == workspace_id)
    )
    last_invoice = await session.scalar(select(func.max(InvoiceRow.id)).where(InvoiceRow.workspace_id == workspace_id))
    waiting = await session.scalar(
        select(func.count()).select_from(Match).where(Match.workspace_id == workspace_id, Match.status == "pending")
    )
    synced = await session.scalar(
        select(PontoConnection.last_sync_at).where(PontoConnection.workspace_id == workspace_id)
    )
    return f"{last_message or 0}:{last_invoice or 0}:{waiting or 0}:{synced.isoformat() if synced else '-'}"


async def viewers(session: AsyncSession, *, now: datetime, within: timedelta) -> list[tuple[int, int, str, str]]:
    """(viewer id, workspace id, team id, user id) of those who opened the tab within `within`."""
    rows = await session.execute(
        select(HomeViewer.id, HomeViewer.workspace_id, Workspace.team_id, HomeViewer.user_id)
        .join(Workspace, Workspace.id == HomeViewer.workspace_id)
        .where(HomeViewer.opened_at >= now - within)
        .order_by(HomeViewer.id)
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


async def claim(session: AsyncSession, viewer_id: int, shown: str) -> bool:
    """Record that the tab now shows `shown`; True for the one process that changed it (and so publishes)."""
    result = await session.execute(
        update(HomeViewer)
        .where(HomeViewer.id == viewer_id, or_(HomeViewer.shown_version.is_(None), HomeViewer.shown_version != shown))
        .values(shown_version=shown)
    )
    return affected(result) == 1
