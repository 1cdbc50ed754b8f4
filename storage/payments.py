"""Payments started from Slack: stored before Ponto is called, held on their invoices, moved by status.

A payment holds its invoices (`invoices.paying_payment_id`) while it is under way, so one invoice is
never in two payments at once; a status moves only from the status the caller read (compare and
set), so several processes following the same payment tell the channel once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .db import affected
from .models import InvoiceRow, PaymentItem, PaymentRow

UNDER_WAY = ("preparing", "unsigned", "signed")  # still holding its invoices
FOLLOWED = ("unsigned", "signed")  # asked of Ponto (signed: until its bank lines settle the invoices)


async def by_key(session: AsyncSession, idempotency_key: str) -> PaymentRow | None:
    return await session.scalar(select(PaymentRow).where(PaymentRow.idempotency_key == idempotency_key))


async def hold(session: AsyncSession, payment_id: int, invoice_ids: Sequence[int]) -> bool:
    """Mark the invoices as being paid by this payment; False (nothing held) if another one holds any."""
    result = await session.execute(
        update(InvoiceRow)
        .where(InvoiceRow.id.in_(invoice_ids), InvoiceRow.paying_payment_id.is_(None))
        .values(paying_payment_id=payment_id)
    )
    if affected(result) == len(set(invoice_ids)):
        return True
    await release(session, payment_id)
    return False


async def release(session: AsyncSession, payment_id: int) -> None:
    await session.execute(
        update(InvoiceRow).where(InvoiceRow.paying_payment_id == payment_id).values(paying_payment_id=None)
    )


async def items(session: AsyncSession, payment_id: int) -> list[PaymentItem]:
    query = select(PaymentItem).where(PaymentItem.payment_id == payment_id).order_by(PaymentItem.id)
    return list(await session.scalars(query))


async def move(session: AsyncSession, payment: PaymentRow, to: str, *, now: datetime, **values: Any) -> bool:
    """Set the status (and `values`) only if it is still what `payment` says; True for the one caller that did."""
    result = await session.execute(
        update(PaymentRow)
        .where(PaymentRow.id == payment.id, PaymentRow.status == payment.status)
        .values(status=to, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        return False
    await session.refresh(payment)
    if to not in UNDER_WAY:
        await release(session, payment.id)
    return True


async def due(session: AsyncSession, *, now: datetime, limit: int = 50) -> list[PaymentRow]:
    """Payments to ask Ponto about again, the longest waiting first."""
    query = (
        select(PaymentRow)
        .where(PaymentRow.status.in_(FOLLOWED), PaymentRow.next_check_at <= now)
        .order_by(PaymentRow.next_check_at)
        .limit(limit)
    )
    return list(await session.scalars(query))


async def holding(session: AsyncSession, invoice_ids: Sequence[int]) -> dict[int, PaymentRow]:
    """Invoice id -> the payment under way that holds it."""
    if not invoice_ids:
        return {}
    query = select(InvoiceRow.id, PaymentRow).join(PaymentRow, PaymentRow.id == InvoiceRow.paying_payment_id)
    rows = await session.execute(query.where(InvoiceRow.id.in_(invoice_ids)))
    return {invoice_id: payment for invoice_id, payment in rows}


async def _bring_forward(session: AsyncSession, which: Any, *, now: datetime) -> int:
    """The follower looks at these payments (still followed) at its next round, not at their next poll."""
    result = await session.execute(
        update(PaymentRow)
        .where(which, PaymentRow.status.in_(FOLLOWED))
        .values(next_check_at=now)
        .execution_options(synchronize_session=False)
    )
    return affected(result)


async def check_soon(session: AsyncSession, ponto_id: str, *, now: datetime) -> bool:
    """A webhook (or the bank's return page) named this Ponto payment. True if it is one of ours."""
    return await _bring_forward(session, PaymentRow.ponto_id == ponto_id, now=now) > 0


async def check_now(session: AsyncSession, payment_ids: set[int], *, now: datetime) -> None:
    """The matcher settled these payments' invoices."""
    if payment_ids:
        await _bring_forward(session, PaymentRow.id.in_(payment_ids), now=now)
