"""Heartbeats of the background processes, and what /healthz reads from them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Heartbeat


async def beat(session: AsyncSession, owner: str, *, role: str, now: datetime) -> None:
    """This process is alive now (a row per process, written in place)."""
    row = await session.get(Heartbeat, owner)
    if row is None:
        session.add(Heartbeat(owner=owner, role=role, started_at=now, beat_at=now))
    else:
        row.beat_at = now


async def stop(session: AsyncSession, owner: str) -> None:
    """A process that stops cleanly takes its row away, so it is not mistaken for a stuck one."""
    await session.execute(delete(Heartbeat).where(Heartbeat.owner == owner))


async def fresh(session: AsyncSession, *, now: datetime, within: timedelta) -> int:
    """How many processes beat within `within`."""
    query = select(func.count()).select_from(Heartbeat).where(Heartbeat.beat_at >= now - within)
    return int(await session.scalar(query) or 0)
