"""Every request gets an id (the caller's X-Request-Id when it is a plain token, else a new one) that its
log lines carry."""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Receive, Scope, Send

from worker.log_context import log_context

PLAIN = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        with log_context(request=given if PLAIN.fullmatch(given) else uuid.uuid4().hex[:16]):
            await self.app(scope, receive, send)
