"""Ids that every log line written meanwhile carries (workspace, connection, request, outbox message), so the
lines of one sync or one request can be found among many processes' (see web.logs, LOG_FORMAT=json)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

CONTEXT: ContextVar[dict[str, str]] = ContextVar("log_context", default={})  # noqa: B039 (never mutated)


@contextmanager
def log_context(**ids: object) -> Iterator[None]:
    """Within the block (and the tasks it starts), log lines carry these ids; None values are left out."""
    token = CONTEXT.set({**CONTEXT.get(), **{name: str(value) for name, value in ids.items() if value is not None}})
    try:
        yield
    finally:
        CONTEXT.reset(token)
