"""GET /healthz: the process answers and the database is reachable."""

from __future__ import annotations

import logging

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..state import app_state

log = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    try:
        async with app_state(request).sessions() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health check: database unreachable: %s", exc)
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
