"""Follow each payment started from Slack until it is paid or ended, editing its message at each change.

Ponto is asked for the status (polling, and at once after a payment webhook, whichever names exist:
which ones Ponto sends is UNCONFIRMED); a signed payment becomes "paid" when the matcher has settled
every invoice in it from the outgoing bank lines. A payment whose creation got no answer is sent
again with its idempotency key. Status changes are compare-and-set, so with several processes the
channel is told once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ponto import PontoClient, PontoError, PontoNotFound
from storage import payments as payment_store
from storage.models import BankAccount, InvoiceRow, PaymentItem, PaymentRow, PontoConnection

from .payment_flags import learn_payment_flags
from .payment_sending import send, tell_channel

log = logging.getLogger(__name__)

ENDED = {"rejected": "rejected", "failed": "rejected", "cancelled": "cancelled", "canceled": "cancelled"}
ENDED |= {"expired": "expired", "deleted": "cancelled", "revoked": "cancelled"}
MAX_INTERVAL = timedelta(minutes=10)
FLAGS_AGAIN = timedelta(minutes=10)  # banks whose flags are unknown are looked for and asked at most this often
GIVE_UP_PREPARING = timedelta(hours=1)


def our_status(ponto_status: str) -> str:
    """Ponto's status (the full list is UNCONFIRMED) as ours: unsigned, an end, or else signed."""
    value = ponto_status.strip().lower()
    if value == "unsigned":
        return "unsigned"
    return ENDED.get(value, "signed")


class PaymentFollower:
    def __init__(
        self,
        sessions: async_sessionmaker,
        make_client: Callable[[PontoConnection], PontoClient],
        *,
        clock: Callable[[], datetime],
        poll: timedelta,
        redirect_uri: str,
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._make_client = make_client
        self._clock = clock
        self._poll = poll
        self._redirect_uri = redirect_uri
        self._on_queued = on_queued
        self._wake = asyncio.Event()
        self._flags_looked_at: datetime | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.round(stop)
            except Exception:
                log.exception("following payments failed; trying again at the next round")
            self._wake.clear()
            waits = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())}
            _done, pending = await asyncio.wait(
                waits, timeout=self._poll.total_seconds(), return_when="FIRST_COMPLETED"
            )
            for task in pending:
                task.cancel()

    async def round(self, stop: asyncio.Event | None = None) -> int:
        """Ask about every payment due for a check; returns how many changed."""
        now = self._clock()
        changed = 0
        async with self._sessions() as session:
            due = await payment_store.due(session, now=now)
            retry, stale = await _unanswered(session, now=now)
        for payment in stale:
            changed += await self._give_up(payment, now)
        for payment in retry:
            if stop is not None and stop.is_set():
                return changed
            sent = await send(self._sessions, self._make_client, payment.id, redirect_uri=self._redirect_uri, now=now)
            changed += sent.status != "preparing"
        for payment in due:
            if stop is not None and stop.is_set():
                break
            changed += await self._check(payment, now)
        if changed:
            self._on_queued()
        await self._learn_flags(now)
        return changed

    async def _learn_flags(self, now: datetime) -> None:
        """Accounts whose bank's payment flags Ponto could not give at the connection (or connected before
        payments existed): asked again, outside any sync, at most every FLAGS_AGAIN (nor queried more often)."""
        if self._flags_looked_at is not None and now - self._flags_looked_at < FLAGS_AGAIN:
            return
        self._flags_looked_at = now
        async with self._sessions() as session:
            query = (
                select(PontoConnection)
                .join(BankAccount, BankAccount.connection_id == PontoConnection.id)
                .where(PontoConnection.status == "active", BankAccount.payments_enabled.is_(None))
                .distinct()
            )
            unknown = list(await session.scalars(query))
        for connection in unknown:
            await learn_payment_flags(self._sessions, self._make_client(connection), connection.id)

    async def _give_up(self, payment: PaymentRow, now: datetime) -> bool:
        problem = (
            "Ponto did not answer for an hour, so this payment was given up. If Ponto's dashboard shows it, "
            "sign or delete it there; otherwise prepare it again."
        )
        async with self._sessions.begin() as session:
            row = await session.get(PaymentRow, payment.id)
            if row is None:
                return False
            return await payment_store.move(session, row, "failed", now=now, problem=problem, next_check_at=None)

    async def _check(self, payment: PaymentRow, now: datetime) -> bool:
        ponto_status = await self._ask_ponto(payment)
        async with self._sessions.begin() as session:
            row = await session.get(PaymentRow, payment.id)
            if row is None or row.status != payment.status:
                return False  # another process moved it
            target = row.status
            if ponto_status is not None:
                target = our_status(ponto_status)
            if target == "signed" and await _all_paid(session, row):
                target = "paid"
            waited = min(max((now - row.updated_at) / 4, self._poll), MAX_INTERVAL)
            if target == row.status:  # nothing new: ask again later, less often as it waits
                await session.execute(
                    update(PaymentRow).where(PaymentRow.id == row.id).values(next_check_at=now + waited)
                )
                return False
            next_check = now + self._poll if target in payment_store.FOLLOWED else None
            values: dict[str, object] = {"next_check_at": next_check}
            if ponto_status is not None:
                values["ponto_status"] = ponto_status
            if not await payment_store.move(session, row, target, now=now, **values):
                return False
            await tell_channel(session, row, now=now)
            log.info("payment %s: %s -> %s (Ponto: %s)", row.id, payment.status, target, ponto_status)
            return True

    async def _ask_ponto(self, payment: PaymentRow) -> str | None:
        """Ponto's status of the payment; None when Ponto could not say (asked again later)."""
        async with self._sessions() as session:
            account = await session.get(BankAccount, payment.account_id)
            connection = await session.get(PontoConnection, account.connection_id) if account else None
        if account is None or connection is None or connection.status != "active" or payment.ponto_id is None:
            return None
        client = self._make_client(connection)
        try:
            if payment.bulk:
                return (await client.get_bulk_payment(account.ponto_id, payment.ponto_id)).status
            return (await client.get_payment(account.ponto_id, payment.ponto_id)).status
        except PontoNotFound:
            return "deleted"  # withdrawn in Ponto's dashboard
        except PontoError as exc:
            log.warning("payment %s: Ponto could not say its status: %s", payment.id, exc)
            return None


async def _all_paid(session: AsyncSession, payment: PaymentRow) -> bool:
    """Every invoice in the payment settled (by the matcher, from the outgoing bank lines)."""
    query = (
        select(InvoiceRow.status)
        .join(PaymentItem, PaymentItem.invoice_id == InvoiceRow.id)
        .where(PaymentItem.payment_id == payment.id)
    )
    statuses = list(await session.scalars(query))
    return bool(statuses) and all(s == "paid" for s in statuses)


async def _unanswered(session: AsyncSession, *, now: datetime) -> tuple[list[PaymentRow], list[PaymentRow]]:
    """Payments whose creation got no answer: those to send again, and those to give up on (an hour)."""
    query = select(PaymentRow).where(PaymentRow.status == "preparing", PaymentRow.next_check_at <= now)
    rows = list(await session.scalars(query))
    return [r for r in rows if now - r.created_at < GIVE_UP_PREPARING], [
        r for r in rows if now - r.created_at >= GIVE_UP_PREPARING
    ]
