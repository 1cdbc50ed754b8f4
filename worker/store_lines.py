"""Store one account's lines and, in the same transaction, queue what they cause (messages, matches).

The lines come from a spool and are stored a chunk at a time; the chunks' rows are let go once
written, and only their ids are kept, to be read back a chunk at a time for matching (one more query
per chunk, the price of telling the burst before deciding it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ponto import Transaction
from storage import transactions
from storage.models import BankAccount, PontoConnection, Workspace

from .announce import DIGEST_LINES, NewLines, announce, revise_corrected
from .mappers import transaction_data
from .matching_input import MatchingBatch
from .spool import LineSpool

CHUNK = 1_000  # lines stored, and later decided, per step


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
    fetched: LineSpool,
    pending: list[Transaction],
    *,
    announcing: Announcing,
    now: datetime,
) -> tuple[int, int]:
    """Upsert by Ponto id, replace the pending lines; returns (created, updated).

    Told in this order, as when everything was in hand at once: the new lines (one digest for a burst),
    the corrected ones (edited in place), then what matching decided about the new ones."""
    told = NewLines(account, announcing.min_amount, keep=max(announcing.digest_threshold, DIGEST_LINES))
    created: list[int] = []
    updated: list[int] = []
    for chunk in fetched.chunks(CHUNK):
        result = await transactions.upsert(session, account, [transaction_data(tx) for tx in chunk])
        told.add(result.created)
        created.extend(tx.id for tx in result.created)
        updated.extend(tx.id for tx in result.updated)
    await transactions.replace_pending(session, account, [transaction_data(tx) for tx in pending])
    connection.last_sync_at = now
    if not announcing.enabled:
        return len(created), len(updated)
    await announce(session, workspace, told, now=now, digest_threshold=announcing.digest_threshold)
    for start in range(0, len(updated), CHUNK):
        await revise_corrected(
            session, account, await transactions.by_ids(session, updated[start : start + CHUNK]), now=now
        )
    if created:
        batch = await MatchingBatch.load(session, workspace)
        for start in range(0, len(created), CHUNK):
            lines = await transactions.by_ids(session, created[start : start + CHUNK])
            await batch.match(session, account, lines, now=now)
    return len(created), len(updated)
