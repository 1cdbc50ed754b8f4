"""Sync one Ponto connection: accounts and balances, new and updated transactions, alerts.

Each account's transactions and the messages they cause are written in one database transaction
(the outbox), so a crash can neither lose a message nor queue one twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ponto import (
    Account,
    PontoAPIError,
    PontoClient,
    PontoError,
    ReconnectRequired,
    SynchronizationTimeout,
    TokenSource,
    Transaction,
)
from storage import accounts as account_store, outbox, sync_states, transactions
from storage.models import BankAccount, BankTransaction, PontoConnection, Workspace

from . import invoicing
from .connections import AccountLine, account_data, jsonable

log = logging.getLogger(__name__)
MakeClient = Callable[[PontoConnection], tuple[PontoClient, TokenSource]]


@dataclass(frozen=True)
class SyncOptions:
    interval: timedelta = timedelta(minutes=30)
    initial_days: int = 30
    digest_threshold: int = 5
    min_amount: int = 0  # minor units; smaller movements are stored but not announced
    reauth_warning: timedelta = timedelta(days=14)
    customer_ip: str = "127.0.0.1"
    sync_wait: float = 20.0
    create_synchronizations: bool = True
    lease: timedelta = timedelta(minutes=10)


@dataclass
class SyncReport:
    connection_id: int
    accounts: int = 0
    created: int = 0
    updated: int = 0
    messages: int = 0
    error: str | None = None
    skipped: bool = False
    per_account: dict[str, int] = field(default_factory=dict)


def transaction_data(tx: Transaction) -> transactions.TransactionData:
    return transactions.TransactionData(
        ponto_id=tx.id,
        pending=tx.pending,
        amount=tx.amount,
        currency=tx.currency,
        value_date=tx.value_date,
        execution_date=tx.execution_date,
        counterpart_name=tx.counterpart_name,
        counterpart_reference=tx.counterpart_reference,
        remittance_information=tx.remittance_information,
        remittance_information_type=tx.remittance_information_type,
        description=tx.description,
        end_to_end_id=tx.end_to_end_id,
        raw=jsonable(dict(tx.raw)),
    )


def transaction_payload(tx: BankTransaction, account: BankAccount) -> dict[str, Any]:
    return {
        "id": tx.ponto_id,
        "amount": tx.amount,
        "currency": tx.currency,
        "counterpart": tx.counterpart_name,
        "counterpart_iban": tx.counterpart_reference,
        "remittance": tx.remittance_information,
        "execution_date": tx.execution_date.isoformat() if tx.execution_date else None,
        "account_name": account.name,
        "account_iban": account.reference,
    }


class Syncer:
    """Runs syncs; one instance per process, shared by the worker loop and `ponto-slack sync`."""

    def __init__(
        self,
        sessions: async_sessionmaker,
        make_client: MakeClient,
        *,
        options: SyncOptions,
        owner: str,
        clock: Callable[[], datetime],
        on_progress: Callable[[str, int], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._make_client = make_client
        self._options = options
        self._owner = owner
        self._clock = clock
        self._progress = on_progress or (lambda _account, _count: None)

    def client_for(self, connection: PontoConnection) -> PontoClient:
        """A client with the connection's own tokens, for calls made outside a sync."""
        return self._make_client(connection)[0]

    async def sync(self, connection_id: int, *, hints: Mapping[str, str] | None = None) -> SyncReport:
        """Sync if nobody else is; `hints` maps account ids to synchronization ids from webhooks."""
        report = SyncReport(connection_id)
        now = self._clock()
        async with self._sessions.begin() as session:
            await sync_states.ensure(session, connection_id, now=now)
            if not await sync_states.acquire(
                session, connection_id, owner=self._owner, now=now, lease=self._options.lease
            ):
                report.skipped = True
                return report
            state = await sync_states.ensure(session, connection_id, now=now)
            initial = not state.initial_import_done
            failures = state.failures
        error: str | None = None
        try:
            await self._run(connection_id, report, hints or {}, initial=initial)
        except ReconnectRequired as exc:
            error = f"reconnect required: {exc}"
            await self._mark_broken(connection_id)
        except PontoError as exc:
            error = str(exc)
            log.warning("sync of connection %s failed: %s", connection_id, exc)
        report.error = error
        retry = min(self._options.interval, timedelta(minutes=2 ** min(failures, 5)))
        async with self._sessions.begin() as session:
            await sync_states.release(
                session,
                connection_id,
                owner=self._owner,
                error=error,
                now=self._clock(),
                next_sync_at=self._clock() + (retry if error else self._options.interval),
                initial_import_done=True if error is None else None,
            )
        return report

    async def _run(self, connection_id: int, report: SyncReport, hints: Mapping[str, str], *, initial: bool) -> None:
        async with self._sessions() as session:
            connection = await session.get(PontoConnection, connection_id)
            if connection is None or connection.status != "active":
                report.skipped = True
                return
        client, _tokens = self._make_client(connection)
        synchronized = await self._synchronize(client, hints)
        listed = await client.list_accounts()
        report.accounts = len(listed)
        await self._store_accounts(connection, listed, initial=initial)
        since = self._clock().date() - timedelta(days=self._options.initial_days)
        for account in listed:
            fetched = await self._fetch(client, account, synchronized.get(account.id), initial=initial, since=since)
            pending = [tx async for tx in client.iter_pending_transactions(account.id)]
            created, updated = await self._store_transactions(connection, account, fetched, pending, initial=initial)
            report.created += created
            report.updated += updated
            report.per_account[account.id] = created
        if initial:
            await self._queue_import_summary(connection, since)

    async def _synchronize(self, client: PontoClient, hints: Mapping[str, str]) -> dict[str, str]:
        """Ask Ponto to fetch from the banks, then wait; a refused request falls back to reading."""
        found = dict(hints)
        if not self._options.create_synchronizations or found:
            return found  # a webhook already said what changed: read it at once, no new synchronization
        accounts = [a for a in await client.list_accounts() if a.id not in found]

        async def one(account: Account) -> None:
            try:
                details = await client.create_synchronization(
                    account.id, "accountDetails", customer_ip=self._options.customer_ip
                )
                sync = await client.create_synchronization(
                    account.id, "accountTransactions", customer_ip=self._options.customer_ip
                )
                for waited in (details, sync):
                    done = await client.wait_synchronization(waited.id, max_wait=self._options.sync_wait, interval=0.2)
                    if done.status == "error":
                        log.info("synchronization %s of %s failed: %s", done.id, account.id, done.error_codes)
                found[account.id] = sync.id
            except (PontoAPIError, SynchronizationTimeout) as exc:  # e.g. too soon after the last one
                log.info("no synchronization for account %s (%s); reading what Ponto has", account.id, exc)

        await asyncio.gather(*(one(account) for account in accounts))
        return found

    async def _fetch(
        self, client: PontoClient, account: Account, sync_id: str | None, *, initial: bool, since: date
    ) -> list[Transaction]:
        """Updated lines of the synchronization, plus newest first until a line we already have."""
        async with self._sessions() as session:
            stored = await session.scalar(select(BankAccount.id).where(BankAccount.ponto_id == account.id))
            known = (
                set(await session.scalars(select(BankTransaction.ponto_id).where(BankTransaction.account_id == stored)))
                if stored
                else set()
            )
        seen: dict[str, Transaction] = {}
        if sync_id:
            async for tx in client.iter_updated_transactions(sync_id):
                seen[tx.id] = tx
        margin = since - timedelta(days=7)  # lines are listed by creation, not by date: keep reading a week more
        async for tx in client.iter_transactions(account.id):
            if tx.id in known:
                break
            if initial and tx.execution_date and tx.execution_date < margin:
                break
            if not initial or (tx.execution_date or since) >= since:
                seen.setdefault(tx.id, tx)
            if len(seen) % 500 == 0:
                self._progress(account.id, len(seen))
        self._progress(account.id, len(seen))
        return list(seen.values())

    async def _store_accounts(self, connection: PontoConnection, listed: list[Account], *, initial: bool) -> None:
        async with self._sessions.begin() as session:
            workspace = await session.get(Workspace, connection.workspace_id)
            assert workspace is not None
            before = {  # captured now: replace_accounts updates these very rows
                a.ponto_id: (a.active, a.reference, a.name, a.currency)
                for a in await session.scalars(select(BankAccount).where(BankAccount.connection_id == connection.id))
            }
            rows = await account_store.replace_accounts(
                session,
                workspace_id=workspace.id,
                connection_id=connection.id,
                accounts=[account_data(a) for a in listed],
            )
            for row in rows:
                await self._authorization_alert(session, workspace, row)
            if initial:
                return
            listed_ids = {a.id for a in listed}
            stamp = connection.connected_at.isoformat()
            for account in listed:
                if account.id not in before or not before[account.id][0]:
                    payload = AccountLine.from_account(account).as_payload()
                    await self._alert(
                        session, workspace, "account_added", f"account-added:{account.id}:{stamp}", payload
                    )
            for ponto_id, (active, reference, name, currency) in before.items():
                if active and ponto_id not in listed_ids:
                    await self._alert(
                        session,
                        workspace,
                        "account_revoked",
                        f"account-revoked:{ponto_id}:{stamp}",
                        {"iban": reference, "name": name, "currency": currency},
                    )

    async def _authorization_alert(self, session: AsyncSession, workspace: Workspace, row: BankAccount) -> None:
        expires = row.authorization_expires_at
        if expires is None or expires - self._clock() > self._options.reauth_warning:
            return
        await self._alert(
            session,
            workspace,
            "reauthorization_needed",
            f"reauth:{row.ponto_id}:{expires.date()}",
            {"account_id": row.ponto_id, "iban": row.reference, "name": row.name, "expires_at": expires.isoformat()},
        )

    async def _alert(
        self, session: AsyncSession, workspace: Workspace, kind: str, key: str, payload: dict[str, Any]
    ) -> None:
        """Posted once per condition: the dedupe key names the condition."""
        await outbox.enqueue(
            session,
            workspace_id=workspace.id,
            channel=workspace.finance_channel,
            kind=kind,
            payload=payload,
            now=self._clock(),
            dedupe_key=key,
        )

    async def _store_transactions(
        self,
        connection: PontoConnection,
        account: Account,
        fetched: list[Transaction],
        pending: list[Transaction],
        *,
        initial: bool,
    ) -> tuple[int, int]:
        async with self._sessions.begin() as session:
            workspace = await session.get(Workspace, connection.workspace_id)
            row = await session.scalar(
                select(BankAccount).where(
                    BankAccount.connection_id == connection.id, BankAccount.ponto_id == account.id
                )
            )
            assert workspace is not None and row is not None
            result = await transactions.upsert(session, row, [transaction_data(tx) for tx in fetched])
            await transactions.replace_pending(session, row, [transaction_data(tx) for tx in pending])
            connection_row = await session.get(PontoConnection, connection.id)
            if connection_row is not None:
                connection_row.last_sync_at = self._clock()
            if not initial:
                await self._announce(session, workspace, row, result.created)
                await self._revise(session, workspace, row, result.updated)
                await invoicing.match_transactions(session, workspace, row, result.created, now=self._clock())
            return len(result.created), len(result.updated)

    async def _announce(
        self, session: AsyncSession, workspace: Workspace, account: BankAccount, created: list[BankTransaction]
    ) -> None:
        shown = [tx for tx in created if not tx.pending and abs(tx.amount) >= self._options.min_amount]
        if not shown:
            return
        now = self._clock()
        if len(shown) > self._options.digest_threshold:
            payload = {
                "account_name": account.name,
                "account_iban": account.reference,
                "count": len(shown),
                "transactions": [transaction_payload(tx, account) for tx in shown[:15]],
                "totals": _totals(shown),
            }
            await outbox.enqueue(
                session,
                workspace_id=workspace.id,
                channel=workspace.finance_channel,
                kind="transactions_digest",
                payload=payload,
                now=now,
            )
            return
        for tx in sorted(shown, key=lambda t: (t.execution_date or date.min, t.id)):
            await outbox.enqueue(
                session,
                workspace_id=workspace.id,
                channel=workspace.finance_channel,
                kind="transaction",
                payload=transaction_payload(tx, account),
                now=now,
                dedupe_key=f"tx:{account.id}:{tx.ponto_id}",
            )

    async def _revise(
        self, session: AsyncSession, workspace: Workspace, account: BankAccount, updated: list[BankTransaction]
    ) -> None:
        """A transaction Ponto changed: its message is edited in place (chat.update), not posted again."""
        for tx in updated:
            await outbox.revise(
                session, f"tx:{account.id}:{tx.ponto_id}", transaction_payload(tx, account), now=self._clock()
            )

    async def _queue_import_summary(self, connection: PontoConnection, since: date) -> None:
        async with self._sessions.begin() as session:
            workspace = await session.get(Workspace, connection.workspace_id)
            assert workspace is not None
            accounts = list(
                await session.scalars(
                    select(BankAccount).where(BankAccount.connection_id == connection.id, BankAccount.active.is_(True))
                )
            )
            counts = {a.name: await transactions.count(session, a.id) for a in accounts}
            payload = {
                "count": sum(counts.values()),
                "accounts": len(accounts),
                "since": since.isoformat(),
                "per_account": counts,
            }
            await self._alert(
                session,
                workspace,
                "import_summary",
                f"import:{connection.id}:{connection.connected_at.isoformat()}",
                payload,
            )

    async def _mark_broken(self, connection_id: int) -> None:
        async with self._sessions.begin() as session:
            connection = await session.get(PontoConnection, connection_id)
            if connection is None or connection.status != "active":
                return  # disconnected meanwhile (e.g. /ponto deactivate revoked the token): nothing is broken
            connection.status = "broken"
            workspace = await session.get(Workspace, connection.workspace_id)
            assert workspace is not None
            await self._alert(
                session,
                workspace,
                "reconnect_needed",
                f"broken:{connection.id}:{connection.connected_at.isoformat()}",
                {"organization_name": connection.organization_name, "connected_by": connection.connected_by},
            )


def _totals(shown: list[BankTransaction]) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for tx in shown:
        bucket = totals.setdefault(tx.currency, {"in": 0, "out": 0})
        bucket["in" if tx.amount > 0 else "out"] += tx.amount
    return totals
