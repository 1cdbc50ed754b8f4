"""Leases left by a process that died: given back at once instead of when they expire."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .db import affected
from .models import OutboxMessage, SyncState


def owner_name(host: str, pid: int) -> str:
    return f"{host}:{pid}"


async def release_dead(session: AsyncSession, *, host: str, alive: Callable[[int], bool]) -> int:
    """Leases held by processes of this host that are gone (e.g. killed); other hosts' leases just expire."""
    released = 0
    for model in (SyncState, OutboxMessage):
        owners = set(
            await session.scalars(select(model.lease_owner).where(model.lease_owner.like(f"{host}:%")).distinct())
        )
        for owner in owners:
            pid = (owner or "").rsplit(":", 1)[-1]
            if pid.isdigit() and not alive(int(pid)):
                result = await session.execute(
                    update(model).where(model.lease_owner == owner).values(lease_until=None, lease_owner=None)
                )
                released += affected(result)
    return released
