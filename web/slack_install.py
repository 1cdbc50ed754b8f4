"""Slack's side of the lifespan: one client for every team, or slack_sdk's installation store (OAuth)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import MetaData, desc, select, text

from bot.app import BOT_SCOPES, web_client
from bot.installation_store import EncryptedInstallationStore
from storage import TokenCipher
from storage.db import MIGRATION_LOCK, on_postgresql

from .settings import Settings
from .wiring import Wiring

ClientForTeam = Callable[[str], Awaitable[AsyncWebClient | None]]


async def slack_install(
    settings: Settings, engine: Any, wiring: Wiring, cipher: TokenCipher
) -> tuple[AsyncOAuthSettings | None, ClientForTeam]:
    """Single workspace: one client for every team. OAuth: a client per installed team. The notifier's
    clients retry only 429 themselves (see `delivery_retry_handlers`)."""
    if settings.slack_mode != "oauth":
        delivery = web_client(wiring.slack_bot_token, wiring.slack_api_url, delivery=True)

        async def single(team_id: str) -> AsyncWebClient:
            return delivery

        return None, single
    plain_store = AsyncSQLAlchemyInstallationStore(client_id=settings.slack_client_id or "", engine=engine)
    state_store = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
    await _create_tables(engine, plain_store.metadata, state_store.metadata)
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

    enterprises: dict[str, str | None] = {}  # a team never changes org: looked up once, not per message

    async def per_team(team_id: str) -> AsyncWebClient | None:
        """A workspace of an Enterprise Grid org is stored under its enterprise id: look that up by team."""
        if team_id not in enterprises:
            enterprises[team_id] = await enterprise_of(plain_store, team_id)
        bot = await store.async_find_bot(enterprise_id=enterprises[team_id], team_id=team_id)
        if bot is None:
            enterprises.pop(team_id, None)  # not installed (yet): ask again next time
        return web_client(bot.bot_token, wiring.slack_api_url, delivery=True) if bot and bot.bot_token else None

    return oauth_settings, per_team


async def _create_tables(engine: Any, *schemas: MetaData) -> None:
    """slack_sdk's tables (outside our migrations), made under the migrations' advisory lock on PostgreSQL:
    processes starting together would otherwise both find them missing and both create them."""
    async with engine.begin() as connection:
        if on_postgresql(engine):
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        for schema in schemas:
            await connection.run_sync(schema.create_all)


async def enterprise_of(store: AsyncSQLAlchemyInstallationStore, team_id: str) -> str | None:
    """The enterprise id of the team's latest install (None outside Enterprise Grid)."""
    bots = store.bots.c
    query = (
        select(bots.enterprise_id)
        .where(bots.client_id == store.client_id, bots.team_id == team_id, bots.bot_token.is_not(None))
        .order_by(desc(bots.installed_at))
        .limit(1)
    )
    async with store.engine.connect() as connection:
        return await connection.scalar(query)
