"""/slack/events, /slack/install, /slack/oauth_redirect: handed to bolt."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from worker.metrics import ACK_SECONDS

from ..state import app_state


async def slack_endpoint(request: Request) -> Response:
    started = time.perf_counter()
    response = await app_state(request).slack_handler.handle(request)
    if request.method == "POST":  # what Slack waits for (3 s at most): commands, clicks, events
        ACK_SECONDS.observe(time.perf_counter() - started)
    return response
