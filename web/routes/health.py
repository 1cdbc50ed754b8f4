"""GET /healthz: the database answers, whether any worker is alive, and how much waits to be posted.

503 only when the database is unreachable (this process cannot work); no fresh worker heartbeat is
"degraded" with 200, so a load balancer keeps a healthy web process while the workers are looked at.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from storage import heartbeats, outbox

from ..background import FRESH
from ..state import app_state

log = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    state = app_state(request)
    now = state.clock()
    try:
        async with state.sessions() as session:
            workers = await heartbeats.fresh(session, now=now, within=FRESH)
            depth, age = await outbox.waiting(session, now=now)
    except Exception as exc:
        log.warning("health check: database unreachable: %s", exc)
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse(
        {
            "status": "ok" if workers else "degraded",
            "database": "ok",
            "workers": workers,  # processes running the sync and delivery loops that beat recently
            "outbox": {"waiting": depth, "oldest_seconds": round(age)},
        }
    )
