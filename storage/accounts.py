"""Bank accounts of a connection, keyed by Ponto id (one IBAN may hold several currencies)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import BankAccount


@dataclass(frozen=True)
class AccountData:
    ponto_id: str
    reference: str
    reference_type: str
    name: str
    holder_name: str | None
    currency: str
    current_balance: int | None
    available_balance: int | None
    authorization_expires_at: datetime | None
    synchronized_at: datetime | None
    raw: dict[str, Any]


async def replace_accounts(
    session: AsyncSession, *, workspace_id: int, connection_id: int, accounts: Sequence[AccountData]
) -> list[BankAccount]:
    """Upsert the listed accounts; those no longer listed are kept (history) but marked inactive."""
    existing = {
        row.ponto_id: row
        for row in await session.scalars(select(BankAccount).where(BankAccount.connection_id == connection_id))
    }
    kept: list[BankAccount] = []
    for data in accounts:
        row = existing.pop(data.ponto_id, None)
        if row is None:
            row = BankAccount(workspace_id=workspace_id, connection_id=connection_id, ponto_id=data.ponto_id)
            session.add(row)
        for name, value in data.__dict__.items():
            setattr(row, name, value)
        row.active = True
        kept.append(row)
    for row in existing.values():
        row.active = False
    await session.flush()
    return kept


async def list_active(
    session: AsyncSession, workspace_id: int, *, connection_id: int | None = None
) -> list[BankAccount]:
    """The accounts still shared, of the workspace (or of one of its connections), in id order."""
    query = select(BankAccount).where(BankAccount.workspace_id == workspace_id, BankAccount.active.is_(True))
    if connection_id is not None:
        query = query.where(BankAccount.connection_id == connection_id)
    return list(await session.scalars(query.order_by(BankAccount.id)))


async def of_connection(session: AsyncSession, connection_id: int) -> list[BankAccount]:
    """Every account the connection ever listed, active or not."""
    return list(await session.scalars(select(BankAccount).where(BankAccount.connection_id == connection_id)))


async def by_ponto_id(session: AsyncSession, connection_id: int, ponto_id: str) -> BankAccount | None:
    return await session.scalar(
        select(BankAccount).where(BankAccount.connection_id == connection_id, BankAccount.ponto_id == ponto_id)
    )


async def by_ids(session: AsyncSession, ids: Iterable[int]) -> list[BankAccount]:
    wanted = list(ids)
    if not wanted:
        return []
    return list(await session.scalars(select(BankAccount).where(BankAccount.id.in_(wanted))))
