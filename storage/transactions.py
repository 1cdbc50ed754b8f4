"""Bank transactions: upserted by Ponto id; pending lines kept apart and replaced by booked ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from .models import BankAccount, BankTransaction, Match, table_of

LOOKUP_CHUNK = 500


@dataclass(frozen=True)
class TransactionData:
    ponto_id: str
    pending: bool
    amount: int
    currency: str
    value_date: date | None
    execution_date: date | None
    counterpart_name: str | None
    counterpart_reference: str | None
    remittance_information: str | None
    remittance_information_type: str | None
    description: str | None
    end_to_end_id: str | None
    raw: dict[str, Any]
    amount_exact: str | None = None


@dataclass(frozen=True)
class UpsertResult:
    created: list[BankTransaction]
    updated: list[BankTransaction]


async def upsert(session: AsyncSession, account: BankAccount, rows: Sequence[TransactionData]) -> UpsertResult:
    """Insert new lines and replace changed ones; the same Ponto id is never stored twice."""
    ids = sorted({row.ponto_id for row in rows})
    existing: dict[str, BankTransaction] = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):  # inside every engine's limit of bound parameters
        query = (
            select(BankTransaction)
            .where(
                BankTransaction.account_id == account.id,
                BankTransaction.ponto_id.in_(ids[start : start + LOOKUP_CHUNK]),
            )
            .options(undefer(BankTransaction.raw))
        )
        existing.update({t.ponto_id: t for t in await session.scalars(query)})
    new: dict[str, TransactionData] = {}
    updated = []
    for row in rows:
        current = existing.get(row.ponto_id)
        if current is None:
            new[row.ponto_id] = row  # listed twice: the later version wins
        elif current.raw != row.raw:
            for name, value in row.__dict__.items():
                setattr(current, name, value)
            updated.append(current)
    created: list[BankTransaction] = []
    if new:  # Core multi-row INSERT ... RETURNING, then read back
        values = [
            {"workspace_id": account.workspace_id, "account_id": account.id, **row.__dict__} for row in new.values()
        ]
        table = table_of(BankTransaction)
        # Each row's id found by its Ponto id (unique in the account), not by RETURNING's order: asking for
        # that order makes SQLite insert one row per statement.
        statement = insert(table).returning(table.c.id, table.c.ponto_id)
        inserted = {ponto_id: id_ for id_, ponto_id in await session.execute(statement, values)}
        ids_in_order = [inserted[ponto_id] for ponto_id in new]
        loaded: dict[int, BankTransaction] = {}
        for start in range(0, len(ids_in_order), LOOKUP_CHUNK):
            chunk = select(BankTransaction).where(BankTransaction.id.in_(ids_in_order[start : start + LOOKUP_CHUNK]))
            loaded.update({tx.id: tx for tx in await session.scalars(chunk)})
        created = [loaded[i] for i in ids_in_order]
    await session.flush()
    return UpsertResult(created, updated)


async def by_ids(session: AsyncSession, ids: Sequence[int]) -> list[BankTransaction]:
    """The lines with these ids, in the order given (ids not found are left out)."""
    found: dict[int, BankTransaction] = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        query = select(BankTransaction).where(BankTransaction.id.in_(ids[start : start + LOOKUP_CHUNK]))
        found.update({tx.id: tx for tx in await session.scalars(query)})
    return [found[i] for i in ids if i in found]


async def replace_pending(session: AsyncSession, account: BankAccount, rows: Sequence[TransactionData]) -> int:
    """Pending lines are a snapshot: those Ponto no longer lists (booked or dropped) are removed."""
    keep = {row.ponto_id for row in rows}
    await session.execute(
        delete(BankTransaction).where(
            BankTransaction.account_id == account.id,
            BankTransaction.pending.is_(True),
            BankTransaction.ponto_id.not_in(keep) if keep else BankTransaction.pending.is_(True),
        )
    )
    return len((await upsert(session, account, rows)).created)


async def count(session: AsyncSession, account_id: int) -> int:
    return int(await session.scalar(select(func.count()).where(BankTransaction.account_id == account_id)) or 0)


async def recent(
    session: AsyncSession,
    workspace_id: int,
    *,
    since: date,
    account_ids: Sequence[int] | None = None,
    limit: int = 10,
    offset: int = 0,
) -> list[BankTransaction]:
    """Booked lines, newest first by execution date then arrival."""
    query = select(BankTransaction).where(
        BankTransaction.workspace_id == workspace_id,
        BankTransaction.pending.is_(False),
        BankTransaction.execution_date >= since,
    )
    if account_ids is not None:
        query = query.where(BankTransaction.account_id.in_(account_ids))
    query = query.order_by(BankTransaction.execution_date.desc(), BankTransaction.id.desc()).offset(offset)
    return list(await session.scalars(query.limit(limit)))


async def known_ids(session: AsyncSession, account_id: int) -> set[str]:
    """The Ponto ids already stored for an account: reading newest first stops at the first of them."""
    return set(await session.scalars(select(BankTransaction.ponto_id).where(BankTransaction.account_id == account_id)))


async def undecided(session: AsyncSession, workspace_id: int, *, limit: int) -> list[BankTransaction]:
    """Booked lines with no decision yet, or whose decision was that nothing matched; oldest first."""
    settled = select(Match.transaction_id).where(Match.status != "none")
    return list(
        await session.scalars(
            select(BankTransaction)
            .where(
                BankTransaction.workspace_id == workspace_id,
                BankTransaction.pending.is_(False),
                BankTransaction.id.not_in(settled),
            )
            .order_by(BankTransaction.execution_date, BankTransaction.id)
            .limit(limit)
        )
    )
