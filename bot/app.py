"""The bolt AsyncApp: single-workspace (bot token) or multi-workspace (OAuth install) mode."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from .listeners import register_listeners
from .services import Services

log = logging.getLogger(__name__)

BOT_SCOPES = [
    "commands",
    "chat:write",
    "channels:read",
    "groups:read",
    "channels:join",
    "channels:history",
    "groups:history",
    "users:read",
]
SLACK_TIMEOUT_SECONDS = 15


def retry_handlers() -> list[Any]:
    """Bounded retries: connection errors, 429 (honouring Retry-After) and 5xx."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]


def delivery_retry_handlers() -> list[Any]:
    """For the notifier: only 429 is retried here (Slack posted nothing). After a 5xx or a dropped
    connection the post may be in the channel: the notifier looks it up before sending again."""
    return [AsyncRateLimitErrorRetryHandler(max_retry_count=3)]


def web_client(token: str | None, api_url: str, *, delivery: bool = False) -> AsyncWebClient:
    """A Slack client; `delivery`: the notifier's, which owns its retries of posts."""
    handlers = delivery_retry_handlers() if delivery else retry_handlers()
    return AsyncWebClient(token=token, base_url=api_url, timeout=SLACK_TIMEOUT_SECONDS, retry_handlers=handlers)


def create_bolt_app(
    *,
    signing_secret: str,
    client: AsyncWebClient,
    services: Services,
    oauth_settings: AsyncOAuthSettings | None = None,
) -> AsyncApp:
    """Build the app with our listeners; `services` reach them through the context."""
    app = AsyncApp(
        signing_secret=signing_secret,
        client=client,
        oauth_settings=oauth_settings,
        installation_store=oauth_settings.installation_store if oauth_settings else None,
        request_verification_enabled=True,
        user_facing_authorize_error_message=(
            "This workspace's installation of the Ponto app is no longer available. Ask an admin to install it again."
        ),
    )

    @app.middleware
    async def inject_services(context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]) -> Any:
        context["services"] = services
        return await next()

    @app.error
    async def on_error(error: Exception, body: dict[str, Any], respond: Any) -> None:
        log.exception("Slack listener failed", exc_info=error)
        if body.get("response_url"):
            await respond(
                text=":warning: Something went wrong on our side and nothing was changed. "
                "Please try again in a minute; if it keeps failing, ask your admin to check the server log.",
                response_type="ephemeral",
            )

    register_listeners(app)  # our app_uninstalled / tokens_revoked listeners also clear the installation
    return app
