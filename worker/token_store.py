"""A connection's tokens as a ponto.TokenStore: encrypted in the database, refreshed under a row lock."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ponto import ReconnectRequired, TokenSet
from storage import TokenCipher, connections
from storage.models import PontoConnection


class DbTokenStore:
    """`lock()` holds the connection row (SELECT ... FOR UPDATE on PostgreSQL) for the refresh, so two
    processes never spend the same refresh token; the new pair is committed before it is used."""

    def __init__(self, sessions: async_sessionmaker, cipher: TokenCipher, connection_id: int) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._connection_id = connection_id
        self._locked: AsyncSession | None = None

    async def _row(self, session: AsyncSession, *, for_update: bool = False) -> PontoConnection:
        query = select(PontoConnection).where(PontoConnection.id == self._connection_id)
        row = await session.scalar(query.with_for_update() if for_update else query)
        if row is None or row.access_token_enc is None:
            raise ReconnectRequired(400, "no_tokens", "the connection has no tokens; link again")
        return row

    async def load(self) -> TokenSet:
        if self._locked is not None:
            return self._to_set(await self._row(self._locked))
        async with self._sessions() as session:
            return self._to_set(await self._row(session))

    def _to_set(self, row: PontoConnection) -> TokenSet:
        tokens = connections.read_tokens(row, self._cipher)
        if tokens is None:
            raise ReconnectRequired(400, "no_tokens", "the connection has no tokens; link again")
        return TokenSet(tokens.access_token, tokens.refresh_token, tokens.expires_at, tokens.scope)

    async def save(self, tokens: TokenSet) -> None:
        value = connections.Tokens(tokens.access_token, tokens.refresh_token, tokens.expires_at, tokens.scope)
        if self._locked is not None:
            connections.store_tokens(await self._row(self._locked), self._cipher, value)
            await self._locked.commit()  # durable before the new access token is used
            await self._row(self._locked, for_update=True)  # keep holding the row until the lock ends
            return
        async with self._sessions.begin() as session:
            connections.store_tokens(await self._row(session), self._cipher, value)

    @contextlib.asynccontextmanager
    async def lock(self) -> AsyncIterator[None]:
        async with self._sessions() as session:
            await self._row(session, for_update=True)
            self._locked = session
            try:
                yield
                await session.commit()
            finally:
                self._locked = None
