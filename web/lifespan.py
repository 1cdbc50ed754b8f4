"""Everything with a lifetime: database, HTTP clients, bolt, and (unless serving only) the background loops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler

from bot.app import create_bolt_app, web_client
from bot.services import Services, utcnow
from ponto import PontoClient
from ponto.webhooks import KeyCache
from storage import wakeups

from . import background
from .core import Core, core_resources
from .settings import Settings
from .slack_install import ClientForTeam, slack_install
from .state import AppState
from .wiring import Wiring, slack_return_url

log = logging.getLogger(__name__)
SHUTDOWN_SECONDS = 5.0


@contextlib.asynccontextmanager
async def resources(settings: Settings, wiring: Wiring, *, run_worker: bool = True) -> AsyncIterator[dict[str, Any]]:
    """The lifespan: `request.state.app` is the AppState; the background loops run beside the web app
    unless `run_worker` is False (`serve --no-worker`: `ponto-slack worker` processes do that work)."""
    async with core_resources(settings, wiring) as core:
        slack_handler, client_for_team = await _slack(settings, wiring, core)
        loops = background.build(settings, core, client_for_team, role="serve") if run_worker else None

        async def wake(what: str) -> None:
            if loops is not None:
                loops.wake_here(what)
            await wakeups.announce(core.engine, what)  # the other processes, on PostgreSQL

        state = _app_state(settings, wiring, core, slack_handler, wake)
        if loops is None:
            yield {"app": state}
            return
        stop = asyncio.Event()
        task = asyncio.create_task(loops.run(stop), name="background")
        try:
            yield {"app": state}
        finally:
            stop.set()
            _done, late = await asyncio.wait({task}, timeout=SHUTDOWN_SECONDS)
            if late:
                log.warning("the background loops did not stop in %.0f s; cancelled", SHUTDOWN_SECONDS)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def _slack(settings: Settings, wiring: Wiring, core: Core) -> tuple[AsyncSlackRequestHandler, ClientForTeam]:
    """Bolt behind Starlette, and how the notifier finds each team's Slack client."""
    slack_client = web_client(wiring.slack_bot_token, wiring.slack_api_url)
    oauth_settings, client_for_team = await slack_install(settings, core.engine, wiring, core.cipher)
    services = Services(
        sessions=core.sessions,
        cipher=core.cipher,
        ponto_app=core.ponto_app,
        oauth=core.oauth,
        default_channel=settings.finance_channel,
        admin_user_ids=settings.admin_user_ids,
        confirmer_user_ids=settings.confirmer_user_ids,
        locale=settings.locale,
        timezone=settings.timezone,
        make_ponto_client=core.syncer.client_for,
        sync_connection=core.syncer.sync,
        public_url=settings.public_url,
        installation_store=oauth_settings.installation_store if oauth_settings else None,
    )
    bolt = create_bolt_app(
        signing_secret=wiring.slack_signing_secret,
        client=slack_client,
        services=services,
        oauth_settings=oauth_settings,
    )
    return AsyncSlackRequestHandler(bolt), client_for_team


def _app_state(
    settings: Settings,
    wiring: Wiring,
    core: Core,
    slack_handler: AsyncSlackRequestHandler,
    wake: Callable[[str], Awaitable[None]],
) -> AppState:
    def client_for_token(token: str) -> PontoClient:
        return PontoClient(core.ponto_http, api_url=wiring.ponto_api_url, access_token=token)

    return AppState(
        sessions=core.sessions,
        cipher=core.cipher,
        ponto_app=core.ponto_app,
        ponto_oauth=core.oauth,
        make_ponto_client=client_for_token,
        wake=wake,
        webhook_keys=(
            KeyCache(core.ponto_http, wiring.webhook_keys_url)
            if wiring.webhook_audience and wiring.webhook_keys_url
            else None
        ),
        webhook_audience=wiring.webhook_audience,
        slack_handler=slack_handler,
        slack_return_url=slack_return_url(settings),
        clock=utcnow,
        api_token=settings.api_token,
    )
