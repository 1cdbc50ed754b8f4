"""Ponto's organization webhooks: blocked and unblocked are followed and said once each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage import create_engine, make_sessionmaker, sync_states, workspaces
from storage.migrate import upgrade_async
from storage.models import OutboxMessage, PontoConnection, WebhookEvent
from worker import events

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
async def sessions(sqlite_url: str) -> AsyncIterator[async_sessionmaker]:
    await upgrade_async(sqlite_url)
    engine = create_engine(sqlite_url)
    maker = make_sessionmaker(engine)
    async with maker.begin() as session:
        workspace = await workspaces.get_or_create(session, "T1", finance_channel="C0FINANCE1")
        session.add(
            PontoConnection(
                workspace_id=workspace.id,
                organization_id="org-1",
                organization_name="Acme",
                status="active",
                connected_by="U1",
                scope="ai",
            )
        )
    yield maker
    await engine.dispose()


async def _deliver(sessions: async_sessionmaker, event_id: str, event_type: str) -> None:
    async with sessions.begin() as session:
        event = WebhookEvent(event_id=event_id, event_type=event_type, organization_id="org-1", payload={})
        session.add(event)
        await session.flush()
        await events.apply(session, [event], now=NOW)


async def test_blocked_then_unblocked_is_followed_and_said_once_each(sessions: async_sessionmaker) -> None:
    await _deliver(sessions, "e1", "pontoConnect.organization.blocked")
    await _deliver(sessions, "e1-again", "pontoConnect.organization.blocked")  # a second event, same state
    async with sessions() as session:
        connection = await session.scalar(select(PontoConnection))
        kinds = list(await session.scalars(select(OutboxMessage.kind)))
    assert connection is not None and connection.status == "blocked"
    assert kinds == ["organization_blocked"]  # blocked already: the second says nothing new
    await _deliver(sessions, "e2", "pontoConnect.organization.unblocked")
    async with sessions() as session:
        connection = await session.scalar(select(PontoConnection))
        kinds = list(await session.scalars(select(OutboxMessage.kind)))
        due = await sync_states.due(session, now=NOW)
    assert connection is not None and connection.status == "active"
    assert kinds == ["organization_blocked", "organization_unblocked"] and due == [connection.id]
