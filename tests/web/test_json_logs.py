"""LOG_FORMAT=json: one JSON object a line, with the ids of the work it belongs to and no secret."""

from __future__ import annotations

import io
import json
import logging

import httpx

from web.logs import JsonFormatter, RedactingFilter
from web.request_ids import RequestIds
from worker.log_context import log_context


def _capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(f"test.json.{id(stream)}")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_a_line_carries_the_ids_of_its_context_and_no_token() -> None:
    logger, stream = _capture()
    with log_context(workspace="T1", connection=7):
        with log_context(outbox=42, message="an id may not hide the line's message", skipped=None):
            logger.warning("refresh failed for token=%s", "secret-refresh-token")
        logger.info("outside the inner block")
    logger.info("outside every block")
    first, second, third = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "WARNING" and first["message"] == "refresh failed for token=[redacted]"
    assert {k: first[k] for k in ("workspace", "connection", "outbox")} == {
        "workspace": "T1",
        "connection": "7",
        "outbox": "42",
    }
    assert "skipped" not in first and "secret-refresh-token" not in stream.getvalue()
    assert second["message"] == "outside the inner block" and second["connection"] == "7" and "outbox" not in second
    assert not {"workspace", "connection"} & set(third)


def test_a_traceback_is_kept_in_the_line() -> None:
    logger, stream = _capture()
    try:
        raise RuntimeError("database went away")
    except RuntimeError:
        logger.exception("round failed")
    (line,) = (json.loads(text) for text in stream.getvalue().splitlines())
    assert "RuntimeError: database went away" in line["exception"]


async def test_each_request_gets_an_id_and_a_plain_caller_id_is_kept() -> None:
    seen: list[dict[str, str]] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        from worker.log_context import CONTEXT

        seen.append(dict(CONTEXT.get()))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    transport = httpx.ASGITransport(app=RequestIds(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        await client.get("/", headers={"X-Request-Id": "abc-123"})
        await client.get("/", headers={"X-Request-Id": "<script>"})
        await client.get("/")
    kept, replaced, fresh = (ids["request"] for ids in seen)
    assert kept == "abc-123" and replaced != "<script>" and len(replaced) == 16 and fresh != replaced
