"""The Starlette app: routes, the stand-ins mounted when a side has no credentials, the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route

from sandbox import ponto as ponto_sandbox, slack as slack_sandbox
from sandbox.demo_driver import DemoDriver
from sandbox.ponto_webhooks import DEFAULT_AUDIENCE
from sandbox.snapshots import Keeps, Snapshots
from storage import TokenCipher

from .lifespan import resources
from .limits import RequestLimits
from .metrics import metrics_endpoint
from .request_ids import RequestIds
from .routes.api import get_invoices, post_invoices
from .routes.health import healthz
from .routes.ponto import ponto_callback, ponto_paid, ponto_reauthorized, ponto_webhook
from .routes.slack import slack_endpoint
from .settings import Settings, token_keys
from .wiring import Wiring


def stand_in_snapshots(settings: Settings, stand_ins: dict[str, Keeps]) -> Snapshots | None:
    """With a SQLite file, the stand-ins keep their state beside it (`ponto-slack.db.stand-ins`), so a
    restarted demo goes on where it stopped; restored here, before the first request."""
    database = settings.sqlite_path()
    if database is None or not stand_ins:
        return None
    cipher = TokenCipher.from_setting(token_keys(settings))
    snapshots = Snapshots(database.with_name(database.name + ".stand-ins"), stand_ins, cipher)
    snapshots.restore()
    return snapshots


@contextlib.asynccontextmanager
async def _running(loop: Callable[[asyncio.Event], Coroutine[Any, Any, None]] | None, name: str) -> AsyncIterator[None]:
    """A background loop for as long as the server runs, told to stop (and awaited) on the way out."""
    if loop is None:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(loop(stop), name=name)
    try:
        yield
    finally:
        stop.set()
        await task


def create_app(settings: Settings, *, self_url: str | None = None, run_worker: bool = True) -> Starlette:
    """The whole product; `self_url` is how this process reaches itself (defaults to PUBLIC_URL);
    `run_worker=False` serves only, leaving sync and delivery to `ponto-slack worker` processes."""
    self_url = (self_url or settings.public_url).rstrip("/")
    wiring = Wiring.of(settings, self_url)
    routes: list[BaseRoute] = [
        Route("/slack/events", slack_endpoint, methods=["POST"]),
        Route("/slack/install", slack_endpoint, methods=["GET"]),
        Route("/slack/oauth_redirect", slack_endpoint, methods=["GET"]),
        Route("/ponto/callback", ponto_callback, methods=["GET"]),
        Route("/ponto/reauthorized", ponto_reauthorized, methods=["GET"]),
        Route("/ponto/paid", ponto_paid, methods=["GET"]),
        Route("/ponto/webhooks", ponto_webhook, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/api/invoices", post_invoices, methods=["POST"]),
        Route("/api/invoices", get_invoices, methods=["GET"]),
    ]
    stand_ins: dict[str, Keeps] = {}
    if not settings.ponto_is_real:
        stand_in = ponto_sandbox.PontoSandbox(
            webhook_url=f"{self_url}/ponto/webhooks", webhook_audience=wiring.webhook_audience or DEFAULT_AUDIENCE
        )
        routes.append(Mount(ponto_sandbox.MOUNT, app=ponto_sandbox.create_app(stand_in)))
        stand_ins["ponto"] = stand_in
    if settings.slack_mode == "sandbox":
        slack_stand_in = slack_sandbox.SlackSandbox(
            app_events_url=f"{self_url}/slack/events", signing_secret=wiring.slack_signing_secret
        )
        routes.append(Mount(slack_sandbox.MOUNT, app=slack_sandbox.create_app(slack_stand_in)))
        stand_ins["slack"] = slack_stand_in
    snapshots = stand_in_snapshots(settings, stand_ins)
    driver = None
    if settings.demo_trickle_seconds > 0 and settings.api_token and len(stand_ins) == 2:
        driver = DemoDriver(self_url, settings.api_token, stand_in, settings.demo_trickle_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with (
            resources(settings, wiring, run_worker=run_worker) as state,
            _running(snapshots.keep if snapshots else None, "stand-in snapshots"),
            _running(driver.run if driver else None, "demo driver"),
        ):
            yield state

    limits = Middleware(RequestLimits, slack_signing_secret=wiring.slack_signing_secret)
    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(RequestIds), limits])
