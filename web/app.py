"""The Starlette app and composition root: routes, stand-ins, lifespan resources."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from bot.app import BOT_SCOPES, create_bolt_app, web_client
from bot.notifier import Notifier
from bot.services import Services, utcnow
from ponto import OAuthClientConfig, PontoClient, PontoOAuth
from ponto.tls import client_context
from sandbox import ponto as ponto_sandbox, slack as slack_sandbox
from sandbox.slack_state import DEFAULT_BOT_TOKEN, DEFAULT_SIGNING_SECRET
from storage import TokenCipher, create_engine, make_sessionmaker
from storage.migrate import upgrade_async
from worker.connections import PontoApp

from .routes.health import healthz
from .routes.ponto import ponto_callback
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
    slack_api_url: str
    slack_signing_secret: str
    slack_bot_token: str | None

    @classmethod
    def of(cls, settings: Settings, self_url: str) -> Wiring:
        if settings.ponto_is_real:
            ponto = (settings.ponto_api_url, settings.ponto_auth_url, settings.ponto_client_id or "",
                     settings.ponto_client_secret or "")  # fmt: skip
        else:
            ponto = (f"{self_url}{ponto_sandbox.MOUNT}/api", f"{settings.public_url}{ponto_sandbox.MOUNT}/oauth2/auth",
                     ponto_sandbox.DEFAULT_CLIENT_ID, ponto_sandbox.DEFAULT_CLIENT_SECRET)  # fmt: skip
        if settings.slack_mode == "sandbox":
            slack = (f"{self_url}{slack_sandbox.MOUNT}/api/",
                     settings.slack_signing_secret or DEFAULT_SIGNING_SECRET, DEFAULT_BOT_TOKEN)  # fmt: skip
        else:
            slack = (settings.slack_api_url, settings.slack_signing_secret or "", settings.slack_bot_token)
        return cls(*ponto, *slack)


def ponto_http_client(settings: Settings) -> httpx.AsyncClient:
    """The client for Ponto calls; presents the TLS client certificate when one is configured."""
    context = client_context(settings.ponto_cert_file, settings.ponto_key_file, settings.ponto_key_passphrase)
    return httpx.AsyncClient(timeout=PONTO_TIMEOUT, verify=context)


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
        Route("/healthz", healthz, methods=["GET"]),
    ]
    if not settings.ponto_is_real:
        routes.append(Mount(ponto_sandbox.MOUNT, app=ponto_sandbox.create_app()))
    if settings.slack_mode == "sandbox":
        stand_in = slack_sandbox.SlackSandbox(
            app_events_url=f"{self_url}/slack/events", signing_secret=wiring.slack_signing_secret
        )
        routes.append(Mount(slack_sandbox.MOUNT, app=slack_sandbox.create_app(stand_in)))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with resources(settings, wiring) as state:
            yield state

    return Starlette(routes=routes, lifespan=lifespan)


@contextlib.asynccontextmanager
async def resources(settings: Settings, wiring: Wiring) -> AsyncIterator[dict[str, Any]]:
    """Everything with a lifetime: database, HTTP clients, bolt, the notifier task."""
    await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    cipher = TokenCipher.from_setting(token_keys(settings))
    ponto_http = ponto_http_client(settings)
    ponto_app = PontoApp(
        auth_url=wiring.ponto_auth_url,
        api_url=wiring.ponto_api_url,
        client_id=wiring.ponto_client_id,
        redirect_uri=f"{settings.public_url}/ponto/callback",
    )
    oauth = PontoOAuth(ponto_http, OAuthClientConfig(wiring.ponto_api_url, wiring.ponto_client_id,
                                                     wiring.ponto_client_secret))  # fmt: skip
    services = Services(
        sessions=sessions,
        cipher=cipher,
        ponto_app=ponto_app,
        oauth=oauth,
        default_channel=settings.finance_channel,
        admin_user_ids=settings.admin_user_ids,
        locale=settings.locale,
    )
    slack_client = web_client(wiring.slack_bot_token, wiring.slack_api_url)
    oauth_settings, client_for_team = await _slack_install(settings, engine, slack_client, wiring)
    bolt = create_bolt_app(
        signing_secret=wiring.slack_signing_secret, client=slack_client, services=services,
        oauth_settings=oauth_settings,
    )  # fmt: skip
    notifier = Notifier(sessions, client_for_team, locale=settings.locale)
    stop = asyncio.Event()
    notifier_task = asyncio.create_task(notifier.run(stop), name="notifier")
    try:
        yield {
            "sessions": sessions,
            "cipher": cipher,
            "ponto_app": ponto_app,
            "ponto_oauth": oauth,
            "make_ponto_client": lambda token: PontoClient(
                ponto_http, api_url=wiring.ponto_api_url, access_token=token
            ),  # fmt: skip
            "notifier": notifier,
            "slack_handler": AsyncSlackRequestHandler(bolt),
            "slack_return_url": slack_return_url(settings),
            "clock": utcnow,
        }
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(notifier_task, timeout=5)
        await ponto_http.aclose()
        await engine.dispose()


async def _slack_install(
    settings: Settings, engine: Any, client: AsyncWebClient, wiring: Wiring
) -> tuple[AsyncOAuthSettings | None, Any]:
    """Single workspace: one client for every team. OAuth: a client per installed team."""
    if settings.slack_mode != "oauth":

        async def single(team_id: str) -> AsyncWebClient:
            return client

        return None, single
    store = AsyncSQLAlchemyInstallationStore(client_id=settings.slack_client_id or "", engine=engine)
    state_store = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
    await store.create_tables()
    await state_store.create_tables()
    oauth_settings = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=BOT_SCOPES,
        installation_store=store,
        state_store=state_store,
        redirect_uri=f"{settings.public_url}/slack/oauth_redirect",
        install_page_rendering_enabled=False,
    )

    async def per_team(team_id: str) -> AsyncWebClient | None:
        bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
        return web_client(bot.bot_token, wiring.slack_api_url) if bot and bot.bot_token else None

    return oauth_settings, per_team
