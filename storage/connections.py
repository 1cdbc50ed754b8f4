"""Ponto connections: one per workspace, tokens encrypted by the caller's cipher."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .crypto import TokenCipher
from .models import PontoConnection


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime
    scope: str


async def get_for_workspace(session: AsyncSession, workspace_id: int) -> PontoConnection | None:
    return await session.scalar(select(PontoConnection).where(PontoConnection.workspace_id == workspace_id))


async def save_connection(
    session: AsyncSession,
    cipher: TokenCipher,
    *,
    workspace_id: int,
    organization_id: str,
    organization_name: str | None,
    tokens: Tokens,
    connected_by: str,
    now: datetime,
) -> PontoConnection:
    """Create or replace the workspace's connection with fresh tokens."""
    connection = await get_for_workspace(session, workspace_id)
    if connection is None:
        connection = PontoConnection(workspace_id=workspace_id, connected_at=now)
        session.add(connection)
    connection.organization_id = organization_id
    connection.organization_name = organization_name
    connection.status = "active"
    connection.connected_by = connected_by
    connection.connected_at = now
    store_tokens(connection, cipher, tokens)
    await session.flush()
    return connection


def store_tokens(connection: PontoConnection, cipher: TokenCipher, tokens: Tokens) -> None:
    connection.access_token_enc = cipher.encrypt(tokens.access_token)
    connection.refresh_token_enc = cipher.encrypt(tokens.refresh_token) if tokens.refresh_token else None
    connection.access_token_expires_at = tokens.expires_at
    connection.scope = tokens.scope


def read_tokens(connection: PontoConnection, cipher: TokenCipher) -> Tokens | None:
    if connection.access_token_enc is None or connection.access_token_expires_at is None:
        return None
    return Tokens(
        access_token=cipher.decrypt(connection.access_token_enc),
        refresh_token=cipher.decrypt(connection.refresh_token_enc) if connection.refresh_token_enc else None,
        expires_at=connection.access_token_expires_at,
        scope=connection.scope,
    )


def forget_tokens(connection: PontoConnection, *, status: str) -> None:
    connection.access_token_enc = None
    connection.refresh_token_enc = None
    connection.access_token_expires_at = None
    connection.status = status


async def of_organization(session: AsyncSession, organization_id: str) -> list[PontoConnection]:
    """The connections (one per workspace) to one Ponto organization."""
    return list(
        await session.scalars(select(PontoConnection).where(PontoConnection.organization_id == organization_id))
    )


async def get_for_update(session: AsyncSession, connection_id: int, *, for_update: bool) -> PontoConnection | None:
    """The row, locked until the end of the transaction when `for_update` (PostgreSQL; SQLite ignores it)."""
    query = select(PontoConnection).where(PontoConnection.id == connection_id)
    return await session.scalar(query.with_for_update() if for_update else query)


async def active_ids(session: AsyncSession) -> list[int]:
    """Every connection that syncs (status active), in id order."""
    rows = await session.scalars(
        select(PontoConnection.id).where(PontoConnection.status == "active").order_by(PontoConnection.id)
    )
    return list(rows)
