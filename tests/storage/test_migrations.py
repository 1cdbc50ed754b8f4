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
    """Upgrading a database at head keeps every row and the revision."""
    from sqlalchemy import select, text

    from storage import workspaces
    from storage.migrate import upgrade_async
    from storage.models import Workspace

    async with sessions.begin() as session:
        await workspaces.get_or_create(session, "TKEEP", finance_channel="C0KEEP1")
        before = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
    await upgrade_async(database_url)  # already at head: must not fail, wipe or duplicate anything
    async with sessions() as session:
        kept = list(await session.scalars(select(Workspace.team_id)))
        after = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
    assert kept == ["TKEEP"] and after == before


async def test_processes_starting_together_on_postgresql_migrate_once() -> None:
    """Three upgrades of one fresh PostgreSQL database at once (as web and worker processes starting
    together): one applies the history, the others wait for it and find nothing to do."""
    import asyncio
    import sys

    from sqlalchemy import text

    from storage import create_engine
    from tests.support.databases import postgres_url_or_skip

    async for url in postgres_url_or_skip():
        code = f"from storage.migrate import upgrade; upgrade({url!r})"
        starting = [await asyncio.create_subprocess_exec(sys.executable, "-c", code) for _ in range(3)]
        assert [await process.wait() for process in starting] == [0, 0, 0]
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                versions = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
        finally:
            await engine.dispose()
        assert len(versions) == 1
