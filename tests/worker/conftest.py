"""A migrated SQLite database with one workspace, one active connection and its accounts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage import create_engine, make_sessionmaker, workspaces
from storage.migrate import upgrade_async
from storage.models import BankAccount, PontoConnection

CONNECTED_AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
Accounts = list[tuple[str, str, int]]  # (name, currency, balance in minor units)


@pytest.fixture
def connected(sqlite_url: str) -> Callable[[Accounts], AsyncIterator[async_sessionmaker]]:
    async def make(accounts: Accounts) -> AsyncIterator[async_sessionmaker]:
        await upgrade_async(sqlite_url)
        engine = create_engine(sqlite_url)
        maker = make_sessionmaker(engine)
        async with maker.begin() as session:
            workspace = await workspaces.get_or_create(session, "T1", finance_channel="#finance")
            connection = PontoConnection(
                workspace_id=workspace.id,
                organization_id="o",
                status="active",
                connected_by="U1",
                scope="ai",
                connected_at=CONNECTED_AT,
            )
            session.add(connection)
            await session.flush()
            for name, currency, balance in accounts:
                session.add(
                    BankAccount(
                        workspace_id=workspace.id,
                        connection_id=connection.id,
                        ponto_id=name,
                        reference="BE68539007547034",
                        reference_type="IBAN",
                        name=name,
                        currency=currency,
                        current_balance=balance,
                        available_balance=balance,
                        raw={},
                    )
                )
        try:
            yield maker
        finally:
            await engine.dispose()

    return make
