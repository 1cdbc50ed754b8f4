"""Databases for tests: SQLite files, and a fresh PostgreSQL database when one is reachable."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


async def _admin(sql: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


async def postgres_url_or_skip() -> AsyncIterator[str]:
    """Create a throwaway database next to `test`, yield its URL, drop it afterwards."""
    name = f"ponto_slack_{secrets.token_hex(4)}"
    try:
        await asyncio.wait_for(_admin(f"CREATE DATABASE {name}"), timeout=10)
    except Exception as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}")
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for tests that start processes (not async), skipped like the above."""
    name = f"ponto_slack_{secrets.token_hex(4)}"
    try:
        asyncio.run(asyncio.wait_for(_admin(f"CREATE DATABASE {name}"), timeout=10))
    except Exception as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}")
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
