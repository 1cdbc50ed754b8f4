"""Verified Ponto webhooks, recorded once by event id and processed by the worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .models import WebhookEvent


async def record(
    session: AsyncSession,
    *,
    event_id: str,
    event_type: str,
    organization_id: str | None,
    account_id: str | None,
    synchronization_id: str | None,
    payload: dict[str, Any],
    now: datetime,
) -> bool:
    """True when new; a redelivered event (same id) is ignored."""
    if await session.scalar(select(WebhookEvent.id).where(WebhookEvent.event_id == event_id)) is not None:
        return False
    session.add(
        WebhookEvent(
            event_id=event_id,
            event_type=event_type,
            organization_id=organization_id,
            account_id=account_id,
            synchronization_id=synchronization_id,
            payload=payload,
            received_at=now,
        )
    )
    await session.flush()
    return True


async def unprocessed(session: AsyncSession, limit: int = 200) -> list[WebhookEvent]:
    """Events not processed yet, oldest first, locked until the caller's transaction ends: on PostgreSQL
    another worker skips them (SKIP LOCKED) rather than applying them twice; SQLite ignores the clause."""
    rows = await session.scalars(
        select(WebhookEvent)
        .where(WebhookEvent.processed_at.is_(None))
        .order_by(WebhookEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def mark_processed(session: AsyncSession, ids: list[int], *, now: datetime) -> None:
    if ids:
        await session.execute(update(WebhookEvent).where(WebhookEvent.id.in_(ids)).values(processed_at=now))
