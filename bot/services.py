"""What listeners need, injected by a middleware as `context["services"]`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import async_sessionmaker

from ponto import PontoClient, PontoOAuth
from storage import TokenCipher
from storage.models import PontoConnection
from worker.activation import PontoApp
from worker.sync import SyncReport


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    sessions: async_sessionmaker
    cipher: TokenCipher
    ponto_app: PontoApp
    oauth: PontoOAuth
    default_channel: str
    make_ponto_client: Callable[[PontoConnection], PontoClient] | None = None
    public_url: str = ""
    installation_store: Any = None  # slack_sdk's, in the multi-workspace mode
    admin_user_ids: frozenset[str] = frozenset()
    confirmer_user_ids: frozenset[str] = frozenset()  # MATCH_CONFIRMERS; empty: the finance channel's members
    locale: str = "en_BE"
    timezone: str = "Europe/Brussels"  # the workspace's: what "today" and "overdue" mean
    clock: Callable[[], datetime] = utcnow
    sync_connection: Callable[[int], Awaitable[SyncReport]] | None = None  # `/ponto sync`: the worker's syncer

    def today(self) -> date:
        return self.clock().astimezone(ZoneInfo(self.timezone)).date()
