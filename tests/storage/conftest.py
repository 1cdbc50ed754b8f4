"""Each storage test runs on SQLite and on PostgreSQL, after the real migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage import create_engine, make_sessionmaker
from storage.migrate import upgrade_async


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker]:
    await upgrade_async(database_url)
    engine = create_engine(database_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()
