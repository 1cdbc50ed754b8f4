"""GET /ponto/callback: where Ponto sends the browser after consent."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse

from worker.connections import ActivationError, Problem, complete_activation

from .. import pages


async def ponto_callback(request: Request) -> HTMLResponse:
    state = request.state
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
        )
    except ActivationError as exc:
        status = 502 if exc.problem is Problem.PONTO_FAILED else 400
        return HTMLResponse(pages.activation_failed(exc), status_code=status)
    state.notifier.wake()
    slack_url = state.slack_return_url(activation.team_id, activation.origin_channel_id)
    return HTMLResponse(pages.activation_done(activation, slack_url))
