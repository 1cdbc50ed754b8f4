"""The synchronization dance with Ponto, and reading what is new since the last sync.

Ponto fetches from the banks only when asked (a synchronization, about one per 30 minutes per
account); the app then reads the updated lines of that synchronization and the newest lines until
one it already has.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from ponto import Account, PontoAPIError, PontoClient, SynchronizationTimeout, Transaction

from .hints import SyncHints
from .spool import LineSpool

log = logging.getLogger(__name__)
Progress = Callable[[str, int], None]


@dataclass
class SyncRound:
    """What this round's synchronizations gave: ids to read updates from, and how each account fared."""

    transactions: dict[str, list[str]] = field(default_factory=dict)  # account -> transaction synchronizations
    failures: dict[str, list[str]] = field(default_factory=dict)  # account -> error codes of failed ones
    succeeded: set[str] = field(default_factory=set)  # accounts whose synchronizations all succeeded


async def synchronize(client: PontoClient, hints: SyncHints, *, customer_ip: str, wait: float) -> SyncRound:
    """Ask Ponto to fetch from the banks, then wait; says which synchronizations to read and which failed.

    With hints (webhooks already said what changed, or what failed) nothing new is asked. A refused
    request (too soon after the last one, say) falls back to reading what Ponto has.
    """
    if hints:
        return await _hinted(client, hints)
    found = SyncRound()
    accounts = await client.list_accounts()

    async def one(account: Account) -> None:
        try:
            details = await client.create_synchronization(account.id, "accountDetails", customer_ip=customer_ip)
            sync = await client.create_synchronization(account.id, "accountTransactions", customer_ip=customer_ip)
            outcomes = [await client.wait_synchronization(s.id, max_wait=wait, interval=0.2) for s in (details, sync)]
        except (PontoAPIError, SynchronizationTimeout) as exc:
            log.info("no synchronization for account %s (%s); reading what Ponto has", account.id, exc)
            return
        found.transactions[account.id] = [sync.id]
        failed = [o for o in outcomes if o.status == "error"]
        for done in failed:
            log.info("synchronization %s of %s failed: %s", done.id, account.id, done.error_codes)
            found.failures.setdefault(account.id, []).extend(done.error_codes or ["unknown"])
        if not failed:
            found.succeeded.add(account.id)

    await asyncio.gather(*(one(account) for account in accounts))
    return found


async def _hinted(client: PontoClient, hints: SyncHints) -> SyncRound:
    """The synchronizations webhooks named; a failed one is read for its error codes."""
    found = SyncRound(transactions={k: list(v) for k, v in hints.transactions.items()})
    for account_id, ids in hints.failed.items():
        for sync_id in ids:
            try:
                codes = (await client.get_synchronization(sync_id)).error_codes
            except PontoAPIError as exc:
                log.info("could not read failed synchronization %s: %s", sync_id, exc)
                codes = []
            found.failures.setdefault(account_id, []).extend(codes or ["unknown"])
    found.succeeded = set(hints.transactions) - set(found.failures)
    return found


async def new_lines(
    client: PontoClient,
    account_id: str,
    known: set[str],
    sync_ids: list[str],
    *,
    since: date | None,
    progress: Progress,
) -> LineSpool:
    """Updated lines of the synchronization, plus newest first until a line we already have, spooled
    (the caller closes the spool). `since` (the first import) stops at lines older than the history."""
    spool = LineSpool()
    try:
        for sync_id in sync_ids:  # in arrival order: a later synchronization's version of a line wins
            async for tx in client.iter_updated_transactions(sync_id):
                spool.put(tx)
        async for tx in client.iter_new_transactions(account_id, known):
            if since is not None and _before(tx, since - timedelta(days=7)):
                break  # lines are listed by creation, not by date: a week's margin past the history
            if since is None or (tx.execution_date or since) >= since:
                spool.put_new(tx)
            if len(spool) % 500 == 0:
                progress(account_id, len(spool))
    except BaseException:
        spool.close()
        raise
    progress(account_id, len(spool))
    return spool


def _before(tx: Transaction, margin: date) -> bool:
    return tx.execution_date is not None and tx.execution_date < margin
