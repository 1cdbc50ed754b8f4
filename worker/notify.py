"""Queue a notice for the finance channel, in the caller's transaction (the outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.models import OutboxMessage, Workspace

from .notices import Notice, encode


async def notify(
    session: AsyncSession, workspace: Workspace, notice: Notice, *, now: datetime, dedupe_key: str | None = None
) -> OutboxMessage | None:
    """Queue `notice` for the workspace's finance channel; with a dedupe key already used, nothing (None)."""
    return await outbox.enqueue(session, **_message(workspace, notice), now=now, dedupe_key=dedupe_key)


def stage(session: AsyncSession, workspace: Workspace, notice: Notice, *, now: datetime) -> OutboxMessage:
    """Queue `notice` with the session's next flush (see outbox.stage)."""
    return outbox.stage(session, **_message(workspace, notice), now=now)


def _message(workspace: Workspace, notice: Notice) -> dict[str, Any]:
    return {
        "workspace_id": workspace.id,
        "channel": workspace.finance_channel,
        "kind": notice.kind,
        "payload": encode(notice),
    }


async def revise(session: AsyncSession, dedupe_key: str, notice: Notice, *, now: datetime) -> None:
    """New content for an earlier notice: replaced while queued, edited in place once posted."""
    await outbox.revise(session, dedupe_key, encode(notice), now=now)


async def revise_message(session: AsyncSession, message_id: int | None, notice: Notice, *, now: datetime) -> None:
    """New content for the message an outbox row holds (a question, a "marked paid"), edited in place."""
    original = await session.get(OutboxMessage, message_id) if message_id is not None else None
    if original is not None:
        await outbox.revise_message(session, original, encode(notice), now=now)
