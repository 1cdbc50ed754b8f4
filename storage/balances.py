"""Balance snapshots: what each daily summary showed, the reference for the next one's change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import BalanceSnapshot, BankAccount


async def latest(session: AsyncSession, account_id: int) -> BalanceSnapshot | None:
    return await session.scalar(
        select(BalanceSnapshot)
        .where(BalanceSnapshot.account_id == account_id)
        .order_by(BalanceSnapshot.taken_at.desc())
        .limit(1)
    )


def record(session: AsyncSession, account: BankAccount, *, now: datetime) -> None:
    session.add(
        BalanceSnapshot(
            workspace_id=account.workspace_id,
            account_id=account.id,
            taken_at=now,
            current_balance=account.current_balance,
            available_balance=account.available_balance,
        )
    )
