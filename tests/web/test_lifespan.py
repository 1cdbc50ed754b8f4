"""A background loop that fails is logged with its traceback, and never takes the app down."""

from __future__ import annotations

import logging

import pytest

from web.background import logged


async def test_a_failing_background_loop_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> None:
        raise RuntimeError("database went away")

    with caplog.at_level(logging.ERROR, logger="web.background"):
        await logged("notifier", broken())
    (record,) = [r for r in caplog.records if r.name == "web.background"]
    assert "background task notifier stopped with an error" in record.getMessage()
    assert record.exc_info is not None and "database went away" in str(record.exc_info[1])
