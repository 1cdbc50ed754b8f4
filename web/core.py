"""What every process needs, `serve`, `worker` and the one-shot `sync` alike: the database, the token
cipher, the Ponto client and OAuth, and the syncer."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.services import utcnow
from ponto import OAuthClientConfig, PontoClient, PontoOAuth, TokenManager
from storage import TokenCipher, create_engine, leases, make_sessionmaker
from storage.db import on_postgresql
from storage.migrate import upgrade_async
from storage.models import PontoConnection
from worker.activation import PontoApp
from worker.sync import RENEWED_LEASE, Syncer
from worker.token_store import DbTokenStore

from .settings import Settings, private_database_file, token_keys
from .wiring import Wiring, ponto_http_client, sync_options

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Core:
    """What `serve`, `worker` and the one-shot `sync` need: database, cipher, Ponto, the syncer."""

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
    await take_back_dead_leases(sessions)
    options = sync_options(settings)
    if on_postgresql(engine):
        options = replace(options, lease=RENEWED_LEASE)
    syncer = Syncer(sessions, make_client, options=options, owner=owner, clock=utcnow, on_progress=on_progress)
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


async def take_back_dead_leases(sessions: async_sessionmaker[Any]) -> int:
    """Leases held by processes of this machine that are gone (killed, say): free at once, not at expiry.
    Run at start and with every heartbeat, so a killed worker's work moves on while it is being restarted."""
    async with sessions.begin() as session:
        released = await leases.release_dead(session, host=socket.gethostname(), alive=_process_alive)
    if released:
        log.warning("took back %d leases left by a process of this machine that is gone", released)
    return released


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
