"""GET /ponto/callback (the browser back from consent) and POST /ponto/webhooks (Ponto's events)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse

from bot.consent_reply import close_consent_link
from ponto.webhooks import WebhookError, parse_event, verify_with_cache
from storage import payments, webhook_events
from storage.wakeups import DELIVER, SYNC
from worker.activation import ActivationError, Problem, complete_activation

from .. import pages
from ..state import app_state

log = logging.getLogger(__name__)


async def ponto_callback(request: Request) -> HTMLResponse:
    state = app_state(request)
    params = request.query_params
    try:
        activation = await complete_activation(
            state.sessions,
            state.cipher,
            state.ponto_app,
            state.ponto_oauth,
            state.make_ponto_client,
            code=params.get("code"),
            state=params.get("state"),
            error=params.get("error"),
            now=state.clock(),
            customer_ip=request.client.host if request.client else None,  # behind a trusted proxy: its header
        )
    except ActivationError as exc:
        status = 502 if exc.problem is Problem.PONTO_FAILED else 400
        return HTMLResponse(pages.activation_failed(exc), status_code=status)
    await state.wake(DELIVER)
    await state.wake(SYNC)
    await close_consent_link(activation)
    slack_url = state.slack_return_url(activation.team_id, activation.origin_channel_id)
    return HTMLResponse(pages.activation_done(activation, slack_url))


async def ponto_webhook(request: Request) -> JSONResponse:
    """Verify, record once, answer 202 at once and wake the worker; the sync happens there."""
    state = app_state(request)
    if state.webhook_keys is None or state.webhook_audience is None:
        return JSONResponse({"error": "webhooks are not configured: set PONTO_APPLICATION_ID"}, status_code=503)
    body = await request.body()  # its size is bounded by web.limits before this runs
    signature = request.headers.get("signature")
    if not signature:
        return JSONResponse({"error": "missing Signature header"}, status_code=401)
    try:
        await verify_with_cache(body, signature, state.webhook_keys, audience=state.webhook_audience, now=time.time())
        event = parse_event(body)
    except WebhookError as exc:
        log.warning("refused a Ponto webhook: %s", exc.reason)
        return JSONResponse({"error": exc.reason}, status_code=401)
    async with state.sessions.begin() as session:
        new = await webhook_events.record(
            session,
            event_id=event.id,
            event_type=event.type,
            organization_id=event.organization_id,
            account_id=event.account_id,
            synchronization_id=event.synchronization_id,
            payload=dict(event.raw),
            now=state.clock(),
        )
    if new:
        await state.wake(SYNC)
    return JSONResponse({"status": "accepted", "duplicate": not new}, status_code=202)


async def ponto_paid(request: Request) -> HTMLResponse:
    """Where Ponto sends the browser after the person signed (or rejected) a payment: Ponto is asked at
    once what became of it (the query is not trusted: only Ponto's answer moves the payment)."""
    state = app_state(request)
    named = request.query_params.get("payment") or request.query_params.get("bulkPayment")
    if named and len(named) <= 64:
        async with state.sessions.begin() as session:
            await payments.check_soon(session, named, now=datetime.now(UTC))
    await state.wake(SYNC)
    return HTMLResponse(
        pages.page(
            "Back from your bank",
            "<p>Thank you. You can close this page and go back to Slack: the finance channel says when the "
            "payment is signed and when it is paid.</p>",
        )
    )


async def ponto_reauthorized(request: Request) -> HTMLResponse:
    """Where Ponto sends the browser after a renewal; the next sync picks up the new expiry date."""
    await app_state(request).wake(SYNC)
    return HTMLResponse(
        pages.page(
            "Bank access renewed",
            "<p>Thank you. You can close this page and go back to "
            "Slack; the warning will not be repeated once Ponto confirms the renewal.</p>",
        )
    )
