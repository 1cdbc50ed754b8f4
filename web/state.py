"""What every endpoint may use, built once by the lifespan (`web.lifespan`) and typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.requests import Request

from ponto import PontoClient, PontoOAuth
from ponto.webhooks import KeyCache
from storage import TokenCipher
from worker.activation import PontoApp


@dataclass(frozen=True)
class AppState:
    sessions: async_sessionmaker
    cipher: TokenCipher
    ponto_app: PontoApp
    ponto_oauth: PontoOAuth
    make_ponto_client: Callable[[str], PontoClient]  # a client for one access token (the callback)
    wake: Callable[[str], Awaitable[None]]  # "sync" or "deliver": tell the background loops, here or elsewhere
    webhook_keys: KeyCache | None  # None: webhooks are not configured (503)
    webhook_audience: str | None
    slack_handler: AsyncSlackRequestHandler
    slack_return_url: Callable[[str, str], str]
    clock: Callable[[], datetime]
    api_token: str | None


def app_state(request: Request) -> AppState:
    state: AppState = request.state.app
    return state
