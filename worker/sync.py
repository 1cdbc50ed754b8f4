"""Sync one Ponto connection: lease it, synchronize, store accounts and lines, release the lease.

Each account's transactions and the messages they cause are written in one database transaction
(the outbox), so a crash can neither lose a message nor queue one twice. The steps live in their
own modules: `reading` (the synchronization dance), `alerts` (account changes), `store_lines`
(upserts, announcements, matching), `announce` (the messages).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ponto import PontoClient, PontoError, ReconnectRequired, TokenSource
from ponto.transport import correlated
from storage import accounts as account_store, sync_states, transactions
from storage.db import on_postgresql
from storage.models import PontoConnection, Workspace

from . import alerts, announce, metrics, reading
from .hints import SyncHints
from .log_context import log_context
from .store_lines import Announcing, store_account_lines

log = logging.getLogger(__name__)
FALLBACK_CUSTOMER_IP = "127.0.0.1"  # a connection made before addresses were recorded, with none configured
MakeClient = Callable[[PontoConnection], tuple[PontoClient, TokenSource]]


@dataclass(frozen=True)
class SyncOptions:
    interval: timedelta = timedelta(minutes=30)
    initial_days: int = 30
    digest_threshold: int = 5
    min_amount: int = 0  # minor units; smaller movements are stored but not announced
    reauth_warning: timedelta = timedelta(days=14)
    customer_ip: str | None = None  # PONTO_CUSTOMER_IP: sent instead of the consenting person's address
    sync_wait: float = 20.0
    create_synchronizations: bool = True
    lease: timedelta = timedelta(minutes=10)  # RENEWED_LEASE on PostgreSQL


# On PostgreSQL a running sync renews its lease every third of its length, so the lease can be short:
# a worker that dies on another host (where its pid cannot be checked) gives its connection up this soon.
RENEWED_LEASE = timedelta(seconds=90)


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
        on_progress: reading.Progress | None = None,
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

    async def sync(self, connection_id: int, *, hints: SyncHints | None = None) -> SyncReport:
        """Sync if nobody else is; `hints` maps account ids to synchronization ids from webhooks."""
        run_id = uuid.uuid4().hex[:16]
        with log_context(connection=connection_id, sync=run_id), correlated(run_id):
            return await self._sync(connection_id, hints)

    async def _sync(self, connection_id: int, hints: SyncHints | None) -> SyncReport:
        report = SyncReport(connection_id)
        now = self._clock()
        started = time.perf_counter()
        async with self._sessions.begin() as session:
            await sync_states.ensure(session, connection_id, now=now)
            if not await sync_states.acquire(
                session, connection_id, owner=self._owner, now=now, lease=self._options.lease
            ):
                report.skipped = True
                metrics.SYNCS.labels("skipped").inc()
                return report
            state = await sync_states.ensure(session, connection_id, now=now)
            initial = not state.initial_import_done
            failures = state.failures
        try:
            async with self._renewing(connection_id):
                await self._run(connection_id, report, hints or SyncHints(), initial=initial)
        except asyncio.CancelledError:
            await self._give_up(connection_id)
            raise
        except ReconnectRequired as exc:
            report.error = f"reconnect required: {exc}"
            metrics.PONTO_ERRORS.labels(metrics.ponto_error_kind(exc)).inc()
            await self._mark_broken(connection_id)
        except PontoError as exc:
            report.error = str(exc)
            metrics.PONTO_ERRORS.labels(metrics.ponto_error_kind(exc)).inc()
            log.warning("sync of connection %s failed: %s", connection_id, exc)
        except Exception as exc:  # a bug or a shape nobody expected: logged, the lease released, retried later
            log.exception("sync of connection %s failed", connection_id)
            report.error = f"unexpected {type(exc).__name__}: {exc}"
        retry = min(self._options.interval, timedelta(minutes=2 ** min(failures, 5)))
        async with self._sessions.begin() as session:
            await sync_states.release(
                session,
                connection_id,
                owner=self._owner,
                error=report.error,
                now=self._clock(),
                next_sync_at=self._clock() + (retry if report.error else self._options.interval),
                initial_import_done=True if report.error is None else None,
            )
        metrics.SYNCS.labels("error" if report.error else "ok").inc()
        metrics.SYNC_SECONDS.observe(time.perf_counter() - started)
        return report

    async def _give_up(self, connection_id: int) -> None:
        """Cancelled (the process stops past its grace period): what was under way rolled back with its
        transaction; the lease is given back, so another worker syncs the connection now, not at expiry."""
        try:
            async with asyncio.timeout(5), self._sessions.begin() as session:
                await sync_states.release(
                    session,
                    connection_id,
                    owner=self._owner,
                    error="stopped before the sync finished",
                    now=self._clock(),
                    next_sync_at=self._clock(),
                )
        except Exception as exc:  # the database away too: the lease then expires, or a restart takes it back
            log.warning("lease of connection %s not given back on stopping: %s", connection_id, exc)

    @contextlib.asynccontextmanager
    async def _renewing(self, connection_id: int) -> AsyncIterator[None]:
        """While the sync runs, its lease is extended every third of its length, so a sync longer than
        the lease is not taken over by another worker. PostgreSQL only: on SQLite one process syncs, and
        a second writer would wait for the sync's own transaction."""
        if not on_postgresql(self._sessions.kw["bind"]):
            yield
            return

        async def renew() -> None:
            while True:
                await asyncio.sleep(self._options.lease.total_seconds() / 3)
                try:
                    async with self._sessions.begin() as session:
                        until = self._clock() + self._options.lease
                        if not await sync_states.renew(session, connection_id, owner=self._owner, until=until):
                            log.warning("lost the lease of connection %s to another worker", connection_id)
                except Exception as exc:  # the database away for a moment: tried again at the next turn
                    log.warning("could not renew the lease of connection %s: %s", connection_id, exc)

        renewing = asyncio.create_task(renew())
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def _run(self, connection_id: int, report: SyncReport, hints: SyncHints, *, initial: bool) -> None:
        async with self._sessions() as session:
            connection = await session.get(PontoConnection, connection_id)
            if connection is None or connection.status != "active":
                report.skipped = True
                return
        client, _tokens = self._make_client(connection)
        synchronized = reading.SyncRound(transactions=dict(hints.transactions))
        if self._options.create_synchronizations or hints:
            synchronized = await reading.synchronize(
                client, hints, customer_ip=self._customer_ip(connection), wait=self._options.sync_wait
            )
        listed = await client.list_accounts()
        report.accounts = len(listed)
        async with self._sessions.begin() as session:
            workspace = await self._workspace(session, connection)
            rows = await alerts.store_accounts(
                session,
                workspace,
                connection,
                listed,
                announce_changes=not initial,
                now=self._clock(),
                reauth_warning=self._options.reauth_warning,
            )
            await alerts.sync_outcomes(
                session, workspace, rows, synchronized.failures, synchronized.succeeded, now=self._clock()
            )
        since = self._clock().date() - timedelta(days=self._options.initial_days)
        for account in listed:
            created, updated = await self._sync_account(
                client,
                connection,
                account.id,
                synchronized.transactions.get(account.id, []),
                since=since if initial else None,
            )
            metrics.TRANSACTIONS.inc(created)  # counted once committed, even if the sync stops after
            report.created += created
            report.updated += updated
            report.per_account[account.id] = created
        if initial:
            async with self._sessions.begin() as session:
                workspace = await self._workspace(session, connection)
                await announce.import_summary(session, workspace, connection, since=since, now=self._clock())

    async def _sync_account(
        self,
        client: PontoClient,
        connection: PontoConnection,
        ponto_id: str,
        sync_ids: list[str],
        *,
        since: date | None,
    ) -> tuple[int, int]:
        async with self._sessions() as session:
            stored = await account_store.by_ponto_id(session, connection.id, ponto_id)
            known = await transactions.known_ids(session, stored.id) if stored else set()
        announcing = Announcing(since is None, self._options.digest_threshold, self._options.min_amount)
        with await reading.new_lines(
            client, ponto_id, known, sync_ids, since=since, progress=self._progress
        ) as fetched:
            del known  # the spool holds what is new; the ids already stored are not needed while storing
            pending = [tx async for tx in client.iter_pending_transactions(ponto_id)]
            async with self._sessions.begin() as session:
                workspace = await self._workspace(session, connection)
                row = await account_store.by_ponto_id(session, connection.id, ponto_id)
                current = await session.get(PontoConnection, connection.id)
                assert row is not None and current is not None
                return await store_account_lines(
                    session, workspace, current, row, fetched, pending, announcing=announcing, now=self._clock()
                )

    def _customer_ip(self, connection: PontoConnection) -> str:
        """customerIpAddress: the configured value, else the address recorded when the person consented."""
        return self._options.customer_ip or connection.customer_ip or FALLBACK_CUSTOMER_IP

    @staticmethod
    async def _workspace(session: AsyncSession, connection: PontoConnection) -> Workspace:
        workspace = await session.get(Workspace, connection.workspace_id)
        assert workspace is not None
        return workspace

    async def _mark_broken(self, connection_id: int) -> None:
        async with self._sessions.begin() as session:
            connection = await session.get(PontoConnection, connection_id)
            if connection is None or connection.status != "active":
                return  # disconnected meanwhile (e.g. /ponto deactivate revoked the token): nothing is broken
            workspace = await self._workspace(session, connection)
            await alerts.mark_broken(session, workspace, connection, now=self._clock())
