"""The one Alembic history applies on SQLite and PostgreSQL and matches the models."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage.models import Base


async def test_upgrade_creates_every_table_and_column(sessions: async_sessionmaker) -> None:
    async with sessions() as session:
        connection = await session.connection()
        tables = await connection.run_sync(
            lambda c: {t: {col["name"] for col in inspect(c).get_columns(t)} for t in inspect(c).get_table_names()}
        )
    for table in Base.metadata.sorted_tables:
        assert table.name in tables
        assert tables[table.name] == {column.name for column in table.columns}, table.name
    assert "alembic_version" in tables


async def test_upgrade_twice_is_a_no_op(database_url: str, sessions: async_sessionmaker) -> None:
    from storage.migrate import upgrade_async

    await upgrade_async(database_url)  # already at head: must not fail or duplicate anything
