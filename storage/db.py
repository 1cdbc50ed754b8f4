"""Engine and session factories; nothing connects until a factory is called."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

INSERT_BATCH_ROWS = 200


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


MIGRATION_LOCK = 0x706F6E746F  # any constant: every process of this app takes this advisory lock to migrate


def on_postgresql(bind: AsyncEngine | AsyncSession) -> bool:
    """Whether this engine (or a session's) talks to PostgreSQL: several processes, locks, NOTIFY."""
    engine = bind if isinstance(bind, AsyncEngine) else bind.bind
    return engine is not None and engine.dialect.name == "postgresql"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An AsyncEngine; on SQLite, foreign keys on, WAL and a busy timeout for concurrent writers."""
    if is_sqlite(url):
        kwargs.setdefault("connect_args", {"timeout": 30})
        # The driver keeps up to 128 prepared statements, and a batched INSERT prepares to about a kilobyte a
        # row, one statement per row count: batches of 1,000 rows held 70 MB more at a 100,000-line sync.
        kwargs.setdefault("insertmanyvalues_page_size", INSERT_BATCH_ROWS)
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def affected(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE changed (its result is a CursorResult)."""
    return cast(CursorResult[Any], result).rowcount


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
