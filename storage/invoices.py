"""Invoices: imported idempotently on (number, kind); settled by allocations of bank lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import InvoiceRow, table_of

FIELDS = (
    "issue_date",
    "due_date",
    "currency",
    "amount",
    "payment_reference",
    "counterparty_name",
    "counterparty_iban",
    "counterparty_vat",
    "counterparty_bic",
)


@dataclass(frozen=True)
class InvoiceData:
    number: str
    kind: str
    issue_date: date
    due_date: date | None
    currency: str
    amount: int
    payment_reference: str | None
    counterparty_name: str | None
    counterparty_iban: str | None
    counterparty_vat: str | None
    counterparty_bic: str | None = None


@dataclass(frozen=True)
class Change:
    """What a re-import changed on one invoice: field -> (before, after), as stored."""

    number: str
    kind: str
    fields: dict[str, tuple[object, object]]
    currency: str = "EUR"  # the invoice's currency after the import: what its amounts are written in


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    changes: list[Change] = field(default_factory=list)  # the first MAX_CHANGES updated invoices, in order


MAX_CHANGES = 50  # an import that changes more says how many; the first ones are enough to see what happened


LOOKUP_CHUNK = 500  # numbers per IN (...) query: well inside every engine's parameter limit


async def upsert(session: AsyncSession, workspace_id: int, rows: Sequence[InvoiceData], *, source: str) -> ImportResult:
    """Existing invoices read in a few queries, new ones inserted in one statement (an import of
    100,000 costs a few hundred round trips, not 100,000). The same invoice twice: the later one wins."""
    existing: dict[tuple[str, str], InvoiceRow] = {}
    numbers = sorted({data.number for data in rows})
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        chunk = numbers[start : start + LOOKUP_CHUNK]
        query = select(InvoiceRow).where(InvoiceRow.workspace_id == workspace_id, InvoiceRow.number.in_(chunk))
        existing.update({(row.number, row.kind): row for row in await session.scalars(query)})
    created = updated = unchanged = 0
    changes: list[Change] = []
    new: dict[tuple[str, str], InvoiceData] = {}
    for data in rows:
        key = (data.number, data.kind)
        current = existing.get(key)
        if current is None:
            earlier = new.get(key)
            if earlier is None:
                created += 1
            elif earlier == data:
                unchanged += 1
            else:
                updated += 1
            new[key] = data
        elif all(getattr(current, f) == getattr(data, f) for f in FIELDS):
            unchanged += 1
        else:
            if len(changes) < MAX_CHANGES:
                differs = {
                    f: (getattr(current, f), getattr(data, f))
                    for f in FIELDS
                    if getattr(current, f) != getattr(data, f)
                }
                changes.append(Change(data.number, data.kind, differs, data.currency))
            for name in FIELDS:
                setattr(current, name, getattr(data, name))
            current.source = source
            current.status = "paid" if current.settled >= current.amount else "open"
            updated += 1
    if new:
        values = [
            {"workspace_id": workspace_id, "source": source, "settled": 0, "status": "open", **data.__dict__}
            for data in new.values()
        ]
        await session.execute(insert(table_of(InvoiceRow)), values)  # Core: ~9x faster than the ORM's bulk path
    await session.flush()
    return ImportResult(created, updated, unchanged, changes)


async def open_rows(session: AsyncSession, workspace_id: int) -> list[InvoiceRow]:
    return list(
        await session.scalars(
            select(InvoiceRow)
            .where(InvoiceRow.workspace_id == workspace_id, InvoiceRow.status == "open")
            .order_by(InvoiceRow.due_date, InvoiceRow.id)
        )
    )


async def listing(
    session: AsyncSession, workspace_id: int, *, status: str | None = None, limit: int = 500, after: int = 0
) -> list[InvoiceRow]:
    """Oldest first, from the row after `after` (a cursor: stable while invoices are added)."""
    query = select(InvoiceRow).where(InvoiceRow.workspace_id == workspace_id, InvoiceRow.id > after)
    if status:
        query = query.where(InvoiceRow.status == status)
    return list(await session.scalars(query.order_by(InvoiceRow.id).limit(limit)))


async def by_numbers(session: AsyncSession, workspace_id: int, numbers: Sequence[str]) -> dict[str, InvoiceRow]:
    rows = await session.scalars(
        select(InvoiceRow).where(InvoiceRow.workspace_id == workspace_id, InvoiceRow.number.in_(list(numbers)))
    )
    return {row.number: row for row in rows}
