"""The synchronization dance with Ponto, and reading what is new since the last sync.

Ponto fetches from the banks only when asked (a synchronization, about one per 30 minutes per
account); the app then reads the updated lines of that synchronization and the newest lines until
one it already has.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import date, timedelta

from ponto import Account, PontoAPIError, PontoClient, SynchronizationTimeout, Transaction

log = logging.getLogger(__name__)
Progress = Callable[[str, int], None]


async def synchronize(
    client: PontoClient, hints: Mapping[str, str], *, customer_ip: str, wait: float
) -> dict[str, str]:
    """Ask Ponto to fetch from the banks, then wait; returns the transaction synchronization per account.

    With hints (a webhook already said what changed) nothing new is asked. A refused request
    (too soon after the last one, say) falls back to reading what Ponto has.
    """
    found = dict(hints)
    if found:
        return found
    accounts = await client.list_accounts()

    async def one(account: Account) -> None:
        try:
            details = await client.create_synchronization(account.id, "accountDetails", customer_ip=customer_ip)
            sync = await client.create_synchronization(account.id, "accountTransactions", customer_ip=customer_ip)
            for waited in (details, sync):
                done = await client.wait_synchronization(waited.id, max_wait=wait, interval=0.2)
                if done.status == "error":
                    log.info("synchronization %s of %s failed: %s", done.id, account.id, done.error_codes)
            found[account.id] = sync.id
        except (PontoAPIError, SynchronizationTimeout) as exc:
            log.info("no synchronization for account %s (%s); reading what Ponto has", account.id, exc)

    await asyncio.gather(*(one(account) for account in accounts))
    return found


async def new_lines(
    client: PontoClient,
    account_id: str,
    known: set[str],
    sync_id: str | None,
    *,
    since: date | None,
    progress: Progress,
) -> list[Transaction]:
    """Updated lines of the synchronization, plus newest first until a line we already have.

    `since` (the first import) stops at lines older than the history to import.
    """
    seen: dict[str, Transaction] = {}
    if sync_id:
        async for tx in client.iter_updated_transactions(sync_id):
            seen[tx.id] = tx
    async for tx in client.iter_new_transactions(account_id, known):
        if since is not None and _before(tx, since - timedelta(days=7)):
            break  # lines are listed by creation, not by date: a week's margin past the history
        if since is None or (tx.execution_date or since) >= since:
            seen.setdefault(tx.id, tx)
        if len(seen) % 500 == 0:
            progress(account_id, len(seen))
    progress(account_id, len(seen))
    return list(seen.values())


def _before(tx: Transaction, margin: date) -> bool:
    return tx.execution_date is not None and tx.execution_date < margin
