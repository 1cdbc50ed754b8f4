"""The outbox: messages written with the change that caused them, delivered later by the notifier.

Rows are claimed with a lease, so several notifier processes can share one database
without delivering a message twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from .db import on_postgresql
from .models import OutboxMessage, Workspace

LEASE = timedelta(seconds=60)
CLAIM_LOCK = 0x6F7574626F78  # the advisory lock every process's claim takes on PostgreSQL
PLAIN_TEXT_NOTE = "sent as plain text"  # Slack refused the layout; the words went out without it


async def enqueue(
    session: AsyncSession,
    *,
    workspace_id: int,
    channel: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Queue a message; with a dedupe_key already queued, nothing is added and None returned."""
    if dedupe_key is not None:
        found = await session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
        if found is not None:
            return None
    message = stage(session, workspace_id=workspace_id, channel=channel, kind=kind, payload=payload, now=now)
    message.dedupe_key = dedupe_key
    await session.flush()
    return message


def stage(
    session: AsyncSession, *, workspace_id: int, channel: str, kind: str, payload: dict[str, Any], now: datetime
) -> OutboxMessage:
    """Queue a message without a dedupe key, written (and given its id) with the caller's next flush:
    a batch queues many with one round trip. Rows are numbered in the order they were staged."""
    message = OutboxMessage(
        workspace_id=workspace_id,
        channel=channel,
        kind=kind,
        payload=payload,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(message)
    return message


def _claimable(now: datetime) -> Any:
    paused = select(Workspace.id).where(Workspace.slack_paused_reason.is_not(None))
    return and_(
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now),
        OutboxMessage.workspace_id.not_in(paused),
    )


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int = 50, lease: timedelta = LEASE, owner: str | None = None
) -> list[OutboxMessage]:
    """Lease up to `limit` due messages, oldest first, from channels no other process is delivering to:
    a channel's messages go through one process at a time, so they arrive in order however many run.

    On PostgreSQL claims are taken one process after the other (a transaction-scoped advisory lock,
    held for the few milliseconds of the claim), so two processes can never split one channel between
    them; SQLite serves one process."""
    if on_postgresql(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK})
    other = aliased(OutboxMessage)
    busy = (
        select(other.id)
        .where(
            other.workspace_id == OutboxMessage.workspace_id,
            other.channel == OutboxMessage.channel,
            other.status == "pending",
            other.lease_until > now,
            other.lease_owner.is_distinct_from(owner),  # no owner: a caller that is the only process
        )
        .exists()
    )
    ids = list(
        await session.scalars(
            select(OutboxMessage.id).where(_claimable(now), ~busy).order_by(OutboxMessage.id).limit(limit)
        )
    )
    if not ids:
        return []
    claimed = await session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), _claimable(now), ~busy)  # again, as one atomic statement
        .values(lease_until=now + lease, lease_owner=owner, claims=OutboxMessage.claims + 1)
        .returning(OutboxMessage.id)
    )
    chosen = sorted(claimed)
    if not chosen:
        return []
    rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(chosen)).order_by(OutboxMessage.id))
    return list(rows)


async def mark_sent(
    session: AsyncSession, message_id: int, *, channel_id: str, ts: str, now: datetime, note: str | None = None
) -> None:
    """Delivered; `note` says how, when not as built (kept in last_error, shown by /ponto status)."""
    values: dict[str, Any] = {"status": "sent", "slack_channel_id": channel_id, "slack_ts": ts, "sent_at": now}
    if note:
        values["last_error"] = note
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(lease_until=None, **values)
    )


async def sent_as_plain_text(session: AsyncSession, workspace_id: int) -> int:
    """How many messages went out without their layout, because Slack refused it."""
    query = select(func.count()).where(
        OutboxMessage.workspace_id == workspace_id,
        OutboxMessage.status == "sent",
        OutboxMessage.last_error.startswith(PLAIN_TEXT_NOTE),
    )
    return int(await session.scalar(query) or 0)


async def mark_retry(session: AsyncSession, message_id: int, *, error: str, next_attempt_at: datetime) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            attempts=OutboxMessage.attempts + 1,
            last_error=error,
            next_attempt_at=next_attempt_at,
            lease_until=None,
        )
    )


async def mark_failed(session: AsyncSession, message_id: int, *, error: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status="failed", attempts=OutboxMessage.attempts + 1, last_error=error, lease_until=None)
    )


async def counts(session: AsyncSession, workspace_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.workspace_id == workspace_id)
        .group_by(OutboxMessage.status)
    )
    return {status: count for status, count in rows.all()}


async def postpone_channel(
    session: AsyncSession,
    workspace_id: int,
    channel: str,
    *,
    until: datetime,
    error: str,
    message_id: int,
    settled: bool = False,
) -> None:
    """Hold every pending message of a channel, so they still arrive in order after a retry.

    `settled`: Slack answered, so nothing was posted and the claim is given back (no lookup next time);
    after a timeout or a 5xx the claim stays counted and the next attempt looks in the channel first.
    """
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.workspace_id == workspace_id,
            OutboxMessage.channel == channel,
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at < until,
        )
        .values(next_attempt_at=until)
    )
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            attempts=OutboxMessage.attempts + 1,
            last_error=error,
            lease_until=None,
            next_attempt_at=until,
            claims=OutboxMessage.claims - (1 if settled else 0),
        )
    )


async def move_pending(session: AsyncSession, workspace_id: int, old_channel: str, new_channel: str) -> None:
    """Queued messages for a channel name go to its id, so holds and order see one channel."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.workspace_id == workspace_id,
            OutboxMessage.channel == old_channel,
            OutboxMessage.status == "pending",
        )
        .values(channel=new_channel)
    )


async def release(session: AsyncSession, message_ids: list[int]) -> None:
    """Give leased messages back untouched (their channel was held earlier in this round)."""
    if message_ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids))
            .values(lease_until=None, claims=OutboxMessage.claims - 1)
        )


async def waiting(session: AsyncSession, *, now: datetime) -> tuple[int, float]:
    """Messages waiting to be delivered, and for how many seconds the oldest of them has (0: none)."""
    query = select(func.count(), func.min(OutboxMessage.created_at)).where(OutboxMessage.status == "pending")
    count, oldest = (await session.execute(query)).one()
    return int(count or 0), (now - oldest).total_seconds() if oldest else 0.0


async def by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, OutboxMessage]:
    """These messages by id (those not found are left out)."""
    found: dict[int, OutboxMessage] = {}
    for start in range(0, len(ids), 500):  # inside every engine's limit of bound parameters
        query = select(OutboxMessage).where(OutboxMessage.id.in_(ids[start : start + 500]))
        found.update({message.id: message for message in await session.scalars(query)})
    return found


async def revise(session: AsyncSession, dedupe_key: str, payload: dict[str, Any], *, now: datetime) -> None:
    """New content for the message queued under `dedupe_key` (see `revise_message`)."""
    original = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
    if original is not None:
        await revise_message(session, original, payload, now=now)


async def revise_message(
    session: AsyncSession, original: OutboxMessage, payload: dict[str, Any], *, now: datetime, flush: bool = True
) -> None:
    """New content for a message: still queued, it is replaced; already posted, or being posted now (its
    claim is held: the notifier has rendered the old content), an edit is queued after it."""
    in_delivery = original.lease_until is not None and original.lease_until > now
    if original.status == "pending" and not in_delivery:
        original.payload = payload
    elif original.status in ("sent", "pending"):
        session.add(
            OutboxMessage(
                workspace_id=original.workspace_id,
                channel=original.channel,
                kind=original.kind,
                payload={**payload, "edit_of": original.id},
                created_at=now,
                next_attempt_at=now,
            )
        )
    if flush:  # a caller revising many messages flushes once, after the last
        await session.flush()
