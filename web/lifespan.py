"""Everything with a lifetime: database, HTTP clients, bolt, and the worker and notifier tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.app import create_bolt_app, web_client
from bot.notifier import Notifier
from bot.services import Services, utcnow
from ponto import OAuthClientConfig, PontoClient, PontoOAuth, TokenManager
from ponto.webhooks import KeyCache
from storage import TokenCipher, create_engine, leases, make_sessionmaker
from storage.migrate import upgrade_async
from storage.models import PontoConnection
from worker.activation import PontoApp
from worker.loop import Worker
from worker.sync import Syncer
from worker.token_store import DbTokenStore

from .settings import Settings, private_database_file, token_keys
from .slack_install import ClientForTeam, slack_install
from .state import AppState
from .wiring import Wiring, ponto_http_client, slack_return_url, sync_options

log = logging.getLogger(__name__)
SHUTDOWN_SECONDS = 5.0


@dataclass(frozen=True)
class Core:
    """What both `serve` and the one-shot `sync` need: database, cipher, Ponto, the syncer."""

    engine: AsyncEngine
    sessions: async_sessionmaker
    cipher: TokenCipher
    ponto_http: httpx.AsyncClient
    oauth: PontoOAuth
    ponto_app: PontoApp
    syncer: Syncer
    owner: str


@contextlib.asynccontextmanager
async def core_resources(settings: Settings, wiring: Wiring, *, on_progress: Any = None) -> AsyncIterator[Core]:
    private_database_file(settings)
    await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    cipher = TokenCipher.from_setting(token_keys(settings))
    ponto_http = ponto_http_client(settings)  # signs every request when a signature key is configured
    oauth = PontoOAuth(
        ponto_http, OAuthClientConfig(wiring.ponto_api_url, wiring.ponto_client_id, wiring.ponto_client_secret)
    )

    def make_client(connection: PontoConnection) -> tuple[PontoClient, TokenManager]:
        tokens = TokenManager(oauth, DbTokenStore(sessions, cipher, connection.id), key=f"ponto:{connection.id}")
        return PontoClient(ponto_http, api_url=wiring.ponto_api_url, tokens=tokens), tokens

    owner = leases.owner_name(socket.gethostname(), os.getpid())
    async with sessions.begin() as session:
        released = await leases.release_dead(session, host=socket.gethostname(), alive=_process_alive)
    if released:
        log.warning("took back %d leases left by a process of this machine that is gone", released)
    syncer = Syncer(
        sessions, make_client, options=sync_options(settings), owner=owner, clock=utcnow, on_progress=on_progress
    )
    ponto_app = PontoApp(
        auth_url=wiring.ponto_auth_url,
        api_url=wiring.ponto_api_url,
        client_id=wiring.ponto_client_id,
        redirect_uri=f"{settings.public_url}/ponto/callback",
    )
    try:
        yield Core(engine, sessions, cipher, ponto_http, oauth, ponto_app, syncer, owner)
    finally:
        await ponto_http.aclose()
        await engine.dispose()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.asynccontextmanager
async def resources(settings: Settings, wiring: Wiring) -> AsyncIterator[dict[str, Any]]:
    """The lifespan: `request.state.app` is the AppState; the background loops run in a task group."""
    async with core_resources(settings, wiring) as core:
        state = await _app_state(settings, wiring, core)
        stop = asyncio.Event()
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(_logged("notifier", state.notifier.run(stop)), name="notifier"),
                group.create_task(_logged("worker", state.worker.run(stop)), name="worker"),
            ]
            try:
                yield {"app": state}
            finally:
                stop.set()
                _done, late = await asyncio.wait(tasks, timeout=SHUTDOWN_SECONDS)
                for task in late:
                    log.warning(
                        "background task %s did not stop in %.0f s; cancelled", task.get_name(), SHUTDOWN_SECONDS
                    )
                    task.cancel()


async def _logged(name: str, loop: Coroutine[Any, Any, None]) -> None:
    """A background loop that fails is logged with its traceback, never swallowed or left to kill the app."""
    try:
        await loop
    except Exception:
        log.exception("background task %s stopped with an error", name)


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


async def _app_state(settings: Settings, wiring: Wiring, core: Core) -> AppState:
    slack_handler, client_for_team = await _slack(settings, wiring, core)
    notifier = Notifier(
        core.sessions, client_for_team, locale=settings.locale, pace_seconds=1 / settings.slack_messages_per_second
    )
    worker = Worker(
        core.sessions,
        core.syncer,
        clock=utcnow,
        on_queued=notifier.wake,
        summary_at=settings.daily_summary_time,
        zone=ZoneInfo(settings.timezone),
    )

    def client_for_token(token: str) -> PontoClient:
        return PontoClient(core.ponto_http, api_url=wiring.ponto_api_url, access_token=token)

    return AppState(
        sessions=core.sessions,
        cipher=core.cipher,
        ponto_app=core.ponto_app,
        ponto_oauth=core.oauth,
        make_ponto_client=client_for_token,
        notifier=notifier,
        worker=worker,
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
