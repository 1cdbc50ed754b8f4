"""The Starlette app and composition root: routes, stand-ins, lifespan resources."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from bot.app import BOT_SCOPES, create_bolt_app, web_client
from bot.installation_store import EncryptedInstallationStore
from bot.notifier import Notifier
from bot.services import Services, utcnow
from ponto import OAuthClientConfig, PontoClient, PontoOAuth, RequestSigner, TokenManager, to_minor_units
from ponto.tls import client_context
from ponto.webhooks import KeyCache
from sandbox import ponto as ponto_sandbox, slack as slack_sandbox
from sandbox.ponto_webhooks import DEFAULT_AUDIENCE
from sandbox.slack_state import DEFAULT_BOT_TOKEN, DEFAULT_SIGNING_SECRET
from storage import TokenCipher, create_engine, leases, make_sessionmaker
from storage.migrate import upgrade_async
from storage.models import PontoConnection
from worker.activation import PontoApp
from worker.loop import Worker
from worker.sync import Syncer, SyncOptions
from worker.token_store import DbTokenStore

from .routes.api import get_invoices, post_invoices
from .routes.health import healthz
from .routes.ponto import ponto_callback, ponto_reauthorized, ponto_webhook
from .routes.slack import slack_endpoint
from .settings import Settings, token_keys

log = logging.getLogger(__name__)
PONTO_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@dataclass(frozen=True)
class Wiring:
    """Where each side lives for this process: the real service or the stand-in mounted here."""

    ponto_api_url: str
    ponto_auth_url: str
    ponto_client_id: str
    ponto_client_secret: str
    webhook_keys_url: str | None
    webhook_audience: str | None
    slack_api_url: str
    slack_signing_secret: str
    slack_bot_token: str | None

    @classmethod
    def of(cls, settings: Settings, self_url: str) -> Wiring:
        if settings.ponto_is_real:
            ponto = (
                settings.ponto_api_url,
                settings.ponto_auth_url,
                settings.ponto_client_id or "",
                settings.ponto_client_secret or "",
                settings.ponto_webhook_keys_url,
                settings.ponto_application_id,
            )
        else:
            mount = f"{self_url}{ponto_sandbox.MOUNT}"
            ponto = (
                f"{mount}/api",
                f"{settings.public_url}{ponto_sandbox.MOUNT}/oauth2/auth",
                ponto_sandbox.DEFAULT_CLIENT_ID,
                ponto_sandbox.DEFAULT_CLIENT_SECRET,
                f"{mount}/webhooks/keys",
                settings.ponto_application_id or DEFAULT_AUDIENCE,
            )
        if settings.slack_mode == "sandbox":
            slack = (
                f"{self_url}{slack_sandbox.MOUNT}/api/",
                settings.slack_signing_secret or DEFAULT_SIGNING_SECRET,
                DEFAULT_BOT_TOKEN,
            )
        else:
            slack = (settings.slack_api_url, settings.slack_signing_secret or "", settings.slack_bot_token)
        return cls(*ponto, *slack)


def ponto_http_client(settings: Settings) -> httpx.AsyncClient:
    """The client for Ponto calls; presents the TLS client certificate when one is configured."""
    context = client_context(settings.ponto_cert_file, settings.ponto_key_file, settings.ponto_key_passphrase)
    return httpx.AsyncClient(timeout=PONTO_TIMEOUT, verify=context)


def request_signer(settings: Settings) -> RequestSigner | None:
    if not (settings.ponto_signature_key_file and settings.ponto_signature_cert_id):
        return None
    pem = Path(settings.ponto_signature_key_file).read_bytes()
    return RequestSigner(pem, settings.ponto_signature_cert_id, passphrase=settings.ponto_key_passphrase)


def sync_options(settings: Settings) -> SyncOptions:
    return SyncOptions(
        interval=settings.sync_interval,
        initial_days=settings.initial_import_days,
        digest_threshold=settings.digest_threshold,
        min_amount=to_minor_units(settings.notify_min_amount.quantize(Decimal("0.01")), "EUR"),
    )


def slack_return_url(settings: Settings):  # type: ignore[no-untyped-def]
    def url(team_id: str, channel_id: str) -> str:
        if settings.slack_mode == "sandbox":
            return f"{settings.public_url}{slack_sandbox.MOUNT}/?{urlencode({'channel': channel_id})}"
        return f"https://slack.com/app_redirect?{urlencode({'team': team_id, 'channel': channel_id})}"

    return url


def create_app(settings: Settings, *, self_url: str | None = None) -> Starlette:
    """The whole product; `self_url` is how this process reaches itself (defaults to PUBLIC_URL)."""
    self_url = (self_url or settings.public_url).rstrip("/")
    wiring = Wiring.of(settings, self_url)
    routes: list[Any] = [
        Route("/slack/events", slack_endpoint, methods=["POST"]),
        Route("/slack/install", slack_endpoint, methods=["GET"]),
        Route("/slack/oauth_redirect", slack_endpoint, methods=["GET"]),
        Route("/ponto/callback", ponto_callback, methods=["GET"]),
        Route("/ponto/reauthorized", ponto_reauthorized, methods=["GET"]),
        Route("/ponto/webhooks", ponto_webhook, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/api/invoices", post_invoices, methods=["POST"]),
        Route("/api/invoices", get_invoices, methods=["GET"]),
    ]
    if not settings.ponto_is_real:
        stand_in = ponto_sandbox.PontoSandbox(
            webhook_url=f"{self_url}/ponto/webhooks", webhook_audience=wiring.webhook_audience or DEFAULT_AUDIENCE
        )
        routes.append(Mount(ponto_sandbox.MOUNT, app=ponto_sandbox.create_app(stand_in)))
    if settings.slack_mode == "sandbox":
        slack_stand_in = slack_sandbox.SlackSandbox(
            app_events_url=f"{self_url}/slack/events", signing_secret=wiring.slack_signing_secret
        )
        routes.append(Mount(slack_sandbox.MOUNT, app=slack_sandbox.create_app(slack_stand_in)))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with resources(settings, wiring) as state:
            yield state

    return Starlette(routes=routes, lifespan=lifespan)


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
    await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    cipher = TokenCipher.from_setting(token_keys(settings))
    ponto_http = ponto_http_client(settings)
    signer = request_signer(settings)
    oauth = PontoOAuth(
        ponto_http, OAuthClientConfig(wiring.ponto_api_url, wiring.ponto_client_id, wiring.ponto_client_secret)
    )

    def make_client(connection: PontoConnection) -> tuple[PontoClient, TokenManager]:
        tokens = TokenManager(oauth, DbTokenStore(sessions, cipher, connection.id), key=f"ponto:{connection.id}")
        return PontoClient(ponto_http, api_url=wiring.ponto_api_url, tokens=tokens, signer=signer), tokens

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
    """Everything with a lifetime: database, HTTP clients, bolt, the worker and notifier tasks."""
    async with core_resources(settings, wiring) as core:
        slack_client = web_client(wiring.slack_bot_token, wiring.slack_api_url)
        oauth_settings, client_for_team = await _slack_install(settings, core.engine, slack_client, wiring, core.cipher)
        services = Services(
            sessions=core.sessions,
            cipher=core.cipher,
            ponto_app=core.ponto_app,
            oauth=core.oauth,
            default_channel=settings.finance_channel,
            admin_user_ids=settings.admin_user_ids,
            locale=settings.locale,
            make_ponto_client=core.syncer.client_for,
            public_url=settings.public_url,
            installation_store=oauth_settings.installation_store if oauth_settings else None,
        )
        bolt = create_bolt_app(
            signing_secret=wiring.slack_signing_secret,
            client=slack_client,
            services=services,
            oauth_settings=oauth_settings,
        )
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
        webhook_keys = KeyCache(core.ponto_http, wiring.webhook_keys_url) if wiring.webhook_audience else None
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(notifier.run(stop), name="notifier"),
            asyncio.create_task(worker.run(stop), name="worker"),
        ]
        try:
            yield {
                "sessions": core.sessions,
                "cipher": core.cipher,
                "ponto_app": core.ponto_app,
                "ponto_oauth": core.oauth,
                "make_ponto_client": lambda token: PontoClient(
                    core.ponto_http, api_url=wiring.ponto_api_url, access_token=token
                ),
                "notifier": notifier,
                "worker": worker,
                "webhook_keys": webhook_keys,
                "webhook_audience": wiring.webhook_audience,
                "slack_handler": AsyncSlackRequestHandler(bolt),
                "slack_return_url": slack_return_url(settings),
                "clock": utcnow,
                "api_token": settings.api_token,
            }
        finally:
            stop.set()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, timeout=5)


async def _slack_install(
    settings: Settings, engine: Any, client: AsyncWebClient, wiring: Wiring, cipher: TokenCipher
) -> tuple[AsyncOAuthSettings | None, Any]:
    """Single workspace: one client for every team. OAuth: a client per installed team."""
    if settings.slack_mode != "oauth":

        async def single(team_id: str) -> AsyncWebClient:
            return client

        return None, single
    plain_store = AsyncSQLAlchemyInstallationStore(client_id=settings.slack_client_id or "", engine=engine)
    state_store = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
    await plain_store.create_tables()
    await state_store.create_tables()
    store = EncryptedInstallationStore(plain_store, cipher)
    oauth_settings = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=BOT_SCOPES,
        installation_store=store,
        state_store=state_store,
        redirect_uri=f"{settings.public_url}/slack/oauth_redirect",
        authorization_url=settings.slack_authorize_url,
        install_page_rendering_enabled=False,
    )

    async def per_team(team_id: str) -> AsyncWebClient | None:
        bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
        return web_client(bot.bot_token, wiring.slack_api_url) if bot and bot.bot_token else None

    return oauth_settings, per_team
