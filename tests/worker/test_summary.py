"""The daily balance summary: once a day after the configured local time, with the change since the last one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage.models import BankAccount, OutboxMessage, PontoConnection
from worker.summary import queue_daily_summaries

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
async def sessions(connected) -> AsyncIterator[async_sessionmaker]:  # type: ignore[no-untyped-def]
    accounts = [("Current", "EUR", 100_000), ("Savings", "EUR", 500_000), ("Dollars", "USD", 7_500)]
    async for maker in connected(accounts):
        yield maker


async def run(sessions: async_sessionmaker, moment: datetime) -> int:
    async with sessions.begin() as session:
        return await queue_daily_summaries(session, now=moment, at=time(8, 30), zone=BRUSSELS)


async def summaries(sessions: async_sessionmaker) -> list[dict]:
    async with sessions() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "balance_summary"))
        return [r.payload for r in rows]


async def test_once_a_day_after_the_local_time_with_the_change(sessions: async_sessionmaker) -> None:
    assert await run(sessions, datetime(2026, 11, 25, 7, 0, tzinfo=UTC)) == 0  # 08:00 in Brussels: too early
    assert await run(sessions, datetime(2026, 11, 25, 7, 45, tzinfo=UTC)) == 1  # 08:45 in Brussels
    assert await run(sessions, datetime(2026, 11, 25, 15, 0, tzinfo=UTC)) == 0  # already done today
    (first,) = await summaries(sessions)
    assert first["totals"] == {
        "EUR": {"current": 600_000, "available": 600_000},
        "USD": {"current": 7_500, "available": 7_500},
    }
    assert all(a["change"] is None for a in first["accounts"])
    async with sessions.begin() as session:
        current = await session.scalar(select(BankAccount).where(BankAccount.name == "Current"))
        assert current is not None
        current.current_balance = 87_655
    assert await run(sessions, datetime(2026, 11, 26, 8, 0, tzinfo=UTC)) == 1
    second = (await summaries(sessions))[1]
    changes = {a["name"]: a["change"] for a in second["accounts"]}
    assert changes == {"Current": -12_345, "Savings": 0, "Dollars": 0}
    assert second["totals"]["EUR"]["current"] == 587_655


async def test_no_summary_on_the_day_of_connecting_but_the_reference_is_kept(sessions: async_sessionmaker) -> None:
    async with sessions.begin() as session:
        connection = await session.scalar(select(PontoConnection))
        assert connection is not None
        connection.connected_at = datetime(2026, 11, 25, 7, 40, tzinfo=UTC)
    assert await run(sessions, datetime(2026, 11, 25, 8, 0, tzinfo=UTC)) == 0
    assert await run(sessions, datetime(2026, 11, 26, 8, 0, tzinfo=UTC)) == 1
    (summary,) = await summaries(sessions)
    assert {a["change"] for a in summary["accounts"]} == {0}  # compared with the day of connecting
