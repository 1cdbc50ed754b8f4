"""Shared fixtures: paths to the real reference fixtures, databases, a running server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from harness.clock import shifted_start
from tests.support.databases import postgres_url_or_skip

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the project; from a copy inside it (mutmut's mutants/), the nearest one above
SHARED_FIXTURES = next(
    (folder / "shared" / "fixtures" for folder in ROOT.parents if (folder / "shared" / "fixtures").is_dir()),
    ROOT.parent / "shared" / "fixtures",
)


def pytest_configure(config: pytest.Config) -> None:
    """With TEST_TODAY set, the whole run (and every process it starts) lives on that date."""
    start = shifted_start()
    if start is not None:
        import time_machine

        time_machine.travel(start, tick=True).start()
        print(f"clock moved to {start.isoformat()} (TEST_TODAY)")


def load_fixture(relative: str) -> Any:
    """A body from ../shared/fixtures, with numbers as Decimal as the client parses them."""
    return json.loads((SHARED_FIXTURES / relative).read_text(encoding="utf-8"), parse_float=Decimal)


def fixture_bytes(relative: str) -> bytes:
    """A fixture exactly as published, for responses served byte for byte."""
    return (SHARED_FIXTURES / relative).read_bytes()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[str]:
    """The test runs twice: on SQLite (one machine) and on a fresh PostgreSQL database (several
    processes; skipped when none is reachable, except on CI)."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    async for url in postgres_url_or_skip():
        yield url
