"""Access tokens that refresh themselves, with rotating refresh tokens spent exactly once.

The new token pair is handed to the store *before* the new access token is used, and only one
refresh per organization runs at a time: a caller that waited on the lock finds the pair the
other caller stored and uses it instead of spending the same refresh token again.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from .errors import ReconnectRequired
from .models import TokenSet
from .oauth import PontoOAuth

REFRESH_MARGIN = timedelta(seconds=60)
_LOCKS: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


class TokenSource(Protocol):
    """What the transport needs: a current access token, and a fresh one after a 401."""

    async def access_token(self) -> str: ...

    async def refresh(self, rejected: str) -> str: ...


class StaticToken:
    """A token that cannot be refreshed (one-off calls, tests)."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def access_token(self) -> str:
        return self._token

    async def refresh(self, rejected: str) -> str:
        return self._token


class TokenStore(Protocol):
    """Where an organization's tokens live; `lock` serialises refreshes across processes too."""

    async def load(self) -> TokenSet: ...

    async def save(self, tokens: TokenSet) -> None: ...

    def lock(self) -> contextlib.AbstractAsyncContextManager[None]: ...


class MemoryTokenStore:
    """A TokenStore in memory; `saved` records every pair handed over, in order."""

    def __init__(self, tokens: TokenSet) -> None:
        self.tokens = tokens
        self.saved: list[TokenSet] = []

    async def load(self) -> TokenSet:
        return self.tokens

    async def save(self, tokens: TokenSet) -> None:
        self.tokens = tokens
        self.saved.append(tokens)

    @contextlib.asynccontextmanager
    async def lock(self) -> AsyncIterator[None]:
        yield


class TokenManager:
    """A TokenSource for one organization, refreshing ahead of expiry and once after a 401."""

    def __init__(
        self,
        oauth: PontoOAuth,
        store: TokenStore,
        *,
        key: str,
        margin: timedelta = REFRESH_MARGIN,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._oauth = oauth
        self._store = store
        self._margin = margin
        self._clock = clock
        self._current: TokenSet | None = None
        lock = _LOCKS.get(key)
        if lock is None:
            lock = _LOCKS[key] = asyncio.Lock()
        self._lock = lock  # shared by every manager of this organization in this process

    def _fresh(self, tokens: TokenSet) -> bool:
        return tokens.expires_at - self._margin > self._clock()

    async def access_token(self) -> str:
        tokens = self._current or await self._store.load()
        if not self._fresh(tokens):
            tokens = await self._refresh(tokens.access_token)
        self._current = tokens
        return tokens.access_token

    async def refresh(self, rejected: str) -> str:
        return (await self._refresh(rejected)).access_token

    async def _refresh(self, rejected: str) -> TokenSet:
        async with self._lock, self._store.lock():
            latest = await self._store.load()
            if latest.access_token != rejected and self._fresh(latest):
                self._current = latest  # another caller refreshed while we waited
                return latest
            if not latest.refresh_token:
                raise ReconnectRequired(400, "no_refresh_token", "no refresh token is stored; link again")
            new = await self._oauth.refresh(latest.refresh_token)
            if new.refresh_token is None:
                new = replace(new, refresh_token=latest.refresh_token)
            await self._store.save(new)
            self._current = new
            return new
