"""What listeners need, injected by a middleware as `context["services"]`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from ponto import PontoOAuth
from storage import TokenCipher
from worker.connections import PontoApp


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    sessions: async_sessionmaker
    cipher: TokenCipher
    ponto_app: PontoApp
    oauth: PontoOAuth
    default_channel: str
    admin_user_ids: frozenset[str] = frozenset()
    locale: str = "en_BE"
    clock: Callable[[], datetime] = utcnow
