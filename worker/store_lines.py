"""Store one account's lines and, in the same transaction, queue what they cause (messages, matches)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ponto import Transaction
from storage import transactions
from storage.models import BankAccount, PontoConnection, Workspace

from . import matching_input
from .announce import announce, revise_corrected
from .mappers import transaction_data


@dataclass(frozen=True)
class Announcing:
    """How new lines are told: off during the first import (one summary instead)."""

    enabled: bool
    digest_threshold: int
    min_amount: int


async def store_account_lines(
    session: AsyncSession,
    workspace: Workspace,
    connection: PontoConnection,
    account: BankAccount,
    fetched: list[Transaction],
    pending: list[Transaction],
    *,
    announcing: Announcing,
    now: datetime,
) -> tuple[int, int]:
    """Upsert by Ponto id, replace the pending lines; returns (created, updated)."""
    result = await transactions.upsert(session, account, [transaction_data(tx) for tx in fetched])
    await transactions.replace_pending(session, account, [transaction_data(tx) for tx in pending])
    connection.last_sync_at = now
    if announcing.enabled:
        await announce(
            session,
            workspace,
            account,
            result.created,
            now=now,
            digest_threshold=announcing.digest_threshold,
            min_amount=announcing.min_amount,
        )
        await revise_corrected(session, account, result.updated, now=now)
        await matching_input.match_transactions(session, workspace, account, result.created, now=now)
    return len(result.created), len(result.updated)
