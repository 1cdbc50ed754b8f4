"""Two workspaces, two Ponto organizations in one database: webhooks, commands and clicks stay in their own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from invoices import Invoice
from storage import create_engine, make_sessionmaker, sync_states, workspaces
from storage.migrate import upgrade_async
from storage.models import PontoConnection, SyncState, WebhookEvent
from worker import events, invoice_views
from worker.matching_input import import_and_match

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
async def two(sqlite_url: str) -> AsyncIterator[async_sessionmaker]:
    await upgrade_async(sqlite_url)
    engine = create_engine(sqlite_url)
    maker = make_sessionmaker(engine)
    async with maker.begin() as session:
        for team, organization in (("TA", "org-a"), ("TB", "org-b")):
            workspace = await workspaces.get_or_create(session, team, finance_channel=f"C0{team}FIN")
            session.add(
                PontoConnection(
                    workspace_id=workspace.id,
                    organization_id=organization,
                    status="active",
                    connected_by="U1",
                    scope="ai",
                )
            )
            invoice = Invoice(
                number=f"{team}-1",
                kind="sales",
                issue_date=date(2026, 11, 1),
                due_date=None,
                currency="EUR",
                amount=10_00,
                payment_reference=None,
                counterparty_name="Acme",
                counterparty_iban=None,
            )
            await import_and_match(session, workspace, [invoice], source="test", now=NOW)
    yield maker
    await engine.dispose()


async def test_a_webhook_of_one_organization_concerns_only_its_workspace(two: async_sessionmaker) -> None:
    async with two.begin() as session:
        event = WebhookEvent(
            event_id="e1",
            event_type="pontoConnect.account.transactionsCreated",
            organization_id="org-a",
            account_id="acc-a",
            synchronization_id="sync-a",
            payload={},
        )
        session.add(event)
        await session.flush()
        hints = await events.apply(session, [event], now=NOW)
        connections = {c.organization_id: c.id for c in await session.scalars(select(PontoConnection))}
        due = set(await sync_states.due(session, now=NOW))
        states = list(await session.scalars(select(SyncState)))
    assert set(hints) == {connections["org-a"]} and connections["org-b"] not in due
    assert all(s.connection_id == connections["org-a"] for s in states)


async def test_commands_see_their_own_workspace_only(two: async_sessionmaker) -> None:
    """(A click carrying another workspace's match id: tests/worker/test_invoicing.py.)"""
    async with two() as session:
        seen_a = [v.number for v in await invoice_views.open_invoices(session, "TA")]
        seen_b = [v.number for v in await invoice_views.open_invoices(session, "TB")]
    assert (seen_a, seen_b) == (["TA-1"], ["TB-1"])
