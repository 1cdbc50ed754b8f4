"""Match decisions, their allocations to invoices, and the remembered account -> customer links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .db import affected
from .models import Allocation, BankTransaction, InvoiceRow, Match, PartyLink, table_of


async def create_many(
    session: AsyncSession,
    *,
    workspace_id: int,
    decisions: Sequence[tuple[int, str, dict[str, Any]]],
    now: datetime,
) -> None:
    """Decisions that settle nothing and ask nothing (transaction id, decision, candidates), in one statement."""
    if not decisions:
        return
    values = [
        {
            "workspace_id": workspace_id,
            "transaction_id": transaction_id,
            "decision": decision,
            "status": "none",
            "candidates": candidates,
            "created_at": now,
        }
        for transaction_id, decision, candidates in decisions
    ]
    await session.execute(insert(table_of(Match)), values)  # Core: ~9x faster than the ORM's bulk path


async def create(
    session: AsyncSession,
    *,
    workspace_id: int,
    transaction_id: int,
    decision: str,
    candidates: dict[str, Any],
    now: datetime,
) -> Match:
    status = {"auto": "settled", "ask": "pending"}.get(decision, "none")
    match = Match(
        workspace_id=workspace_id,
        transaction_id=transaction_id,
        decision=decision,
        status=status,
        candidates=candidates,
        created_at=now,
        settled_by="auto" if decision == "auto" else None,
        settled_at=now if decision == "auto" else None,
    )
    session.add(match)
    await session.flush()
    return match


async def allocate(session: AsyncSession, match: Match, amounts: Mapping[int, int]) -> list[InvoiceRow]:
    """Apply money to invoices (by invoice id); an invoice whose amount is covered becomes paid."""
    rows = []
    for invoice_id, amount in amounts.items():
        session.add(Allocation(match_id=match.id, invoice_id=invoice_id, amount=amount))
        invoice = await session.get(InvoiceRow, invoice_id)
        assert invoice is not None
        invoice.settled += amount
        invoice.status = "paid" if invoice.settled >= invoice.amount else "open"
        rows.append(invoice)
    await session.flush()
    return rows


async def claim(session: AsyncSession, match_id: int, *, by: str, now: datetime, status: str = "settled") -> bool:
    """Settle a pending match; True for exactly one of several racing clicks."""
    result = await session.execute(
        update(Match)
        .where(Match.id == match_id, Match.status == "pending")
        .values(status=status, settled_by=by, settled_at=now)
    )
    return affected(result) == 1


async def undo(session: AsyncSession, match: Match) -> list[InvoiceRow]:
    """Take the match's money back off its invoices and ask again."""
    allocations = list(await session.scalars(select(Allocation).where(Allocation.match_id == match.id)))
    rows = []
    for allocation in allocations:
        invoice = await session.get(InvoiceRow, allocation.invoice_id)
        assert invoice is not None
        invoice.settled -= allocation.amount
        invoice.status = "paid" if invoice.settled >= invoice.amount else "open"
        rows.append(invoice)
    await session.execute(delete(Allocation).where(Allocation.match_id == match.id))
    match.status, match.settled_by, match.settled_at = "pending", None, None
    await session.flush()
    return rows


async def pending(session: AsyncSession, workspace_id: int) -> list[Match]:
    return list(
        await session.scalars(
            select(Match).where(Match.workspace_id == workspace_id, Match.status == "pending").order_by(Match.id)
        )
    )


async def by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Match]:
    """These matches, by id (ascending)."""
    found: list[Match] = []
    for start in range(0, len(ids), 500):  # inside every engine's limit of bound parameters
        found.extend(await session.scalars(select(Match).where(Match.id.in_(ids[start : start + 500]))))
    return sorted(found, key=lambda m: m.id)


async def remember_link(
    session: AsyncSession, workspace_id: int, iban: str, party: str, by: str, now: datetime
) -> None:
    current = await session.scalar(
        select(PartyLink).where(PartyLink.workspace_id == workspace_id, PartyLink.iban == iban)
    )
    if current is None:
        session.add(PartyLink(workspace_id=workspace_id, iban=iban, party_name=party, confirmed_by=by, created_at=now))
    else:
        current.party_name, current.confirmed_by = party, by
    await session.flush()


async def links(session: AsyncSession, workspace_id: int) -> dict[str, str]:
    rows = await session.scalars(select(PartyLink).where(PartyLink.workspace_id == workspace_id))
    return {row.iban: row.party_name for row in rows}


async def forget_unmatched(session: AsyncSession, transaction_ids: list[int]) -> None:
    """'Nothing matched' decisions carry no allocation: drop them so the lines are decided again."""
    if transaction_ids:
        await session.execute(delete(Match).where(Match.status == "none", Match.transaction_id.in_(transaction_ids)))


async def paying_line(session: AsyncSession, invoice_id: int) -> BankTransaction | None:
    """The bank line whose money most recently went to the invoice (to say who paid it, and when)."""
    return await session.scalar(
        select(BankTransaction)
        .join(Match, Match.transaction_id == BankTransaction.id)
        .join(Allocation, Allocation.match_id == Match.id)
        .where(Allocation.invoice_id == invoice_id)
        .order_by(Allocation.id.desc())
        .limit(1)
    )


async def pending_naming(session: AsyncSession, workspace_id: int, numbers: set[str]) -> list[Match]:
    """Unanswered questions that offer any of these invoice numbers."""
    return [m for m in await pending(session, workspace_id) if numbers & set(m.candidates.get("numbers", []))]
