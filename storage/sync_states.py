"""Per-connection sync schedule and lease: never two syncs of one connection at once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .db import affected
from .models import PontoConnection, SyncState


async def get(session: AsyncSession, connection_id: int) -> SyncState | None:
    return await session.scalar(select(SyncState).where(SyncState.connection_id == connection_id))


async def ensure(session: AsyncSession, connection_id: int, *, now: datetime) -> SyncState:
    state = await session.scalar(select(SyncState).where(SyncState.connection_id == connection_id))
    if state is None:
        state = SyncState(connection_id=connection_id, next_sync_at=now)
        session.add(state)
        await session.flush()
    return state


async def due(session: AsyncSession, *, now: datetime, limit: int = 20) -> list[int]:
    """Active connections whose next sync is due and whose lease is free."""
    rows = await session.scalars(
        select(SyncState.connection_id)
        .join(PontoConnection, PontoConnection.id == SyncState.connection_id)
        .where(
            PontoConnection.status == "active",
            SyncState.next_sync_at <= now,
            or_(SyncState.lease_until.is_(None), SyncState.lease_until <= now),
        )
        .order_by(SyncState.next_sync_at)
        .limit(limit)
    )
    return list(rows)


async def acquire(session: AsyncSession, connection_id: int, *, owner: str, now: datetime, lease: timedelta) -> bool:
    """Take the connection's sync lease; False when another worker holds it."""
    result = await session.execute(
        update(SyncState)
        .where(
            SyncState.connection_id == connection_id,
            or_(SyncState.lease_until.is_(None), SyncState.lease_until <= now),
        )
        .values(lease_until=now + lease, lease_owner=owner)
    )
    return affected(result) == 1


async def release(
    session: AsyncSession,
    connection_id: int,
    *,
    owner: str,
    next_sync_at: datetime,
    error: str | None,
    now: datetime,
    initial_import_done: bool | None = None,
) -> None:
    values: dict[str, object] = {
        "lease_until": None,
        "lease_owner": None,
        "next_sync_at": next_sync_at,
        "last_error": error,
    }
    if error is None:
        values |= {"last_success_at": now, "failures": 0}
    else:
        values["failures"] = SyncState.failures + 1
    if initial_import_done is not None:
        values["initial_import_done"] = initial_import_done
    await session.execute(
        update(SyncState)
        .where(and_(SyncState.connection_id == connection_id, SyncState.lease_owner == owner))
        .values(**values)
    )


async def renew(session: AsyncSession, connection_id: int, *, owner: str, until: datetime) -> bool:
    """Extend the lease this owner holds; False when it lost it (expired and taken by another)."""
    result = await session.execute(
        update(SyncState)
        .where(SyncState.connection_id == connection_id, SyncState.lease_owner == owner)
        .values(lease_until=until)
    )
    return affected(result) == 1


async def sync_now(session: AsyncSession, connection_id: int, *, now: datetime) -> None:
    """Make the connection due at once (a webhook arrived, or someone asked)."""
    await ensure(session, connection_id, now=now)
    await session.execute(update(SyncState).where(SyncState.connection_id == connection_id).values(next_sync_at=now))
