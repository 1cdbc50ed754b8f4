"""/slack/events, /slack/install, /slack/oauth_redirect: handed to bolt."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..state import app_state


async def slack_endpoint(request: Request) -> Response:
    return await app_state(request).slack_handler.handle(request)
