"""Create a stored payment at Ponto (once: its idempotency key goes with every attempt) and keep the
channel's message about it true."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ponto import (
    NewBulkPayment,
    NewPayment,
    PontoAPIError,
    PontoClient,
    PontoError,
    PontoRateLimited,
    PontoResponseError,
    PontoServerError,
    PontoTransportError,
)
from storage import payments as payment_store
from storage.models import BankAccount, InvoiceRow, OutboxMessage, PaymentItem, PaymentRow, PontoConnection, Workspace

from .notices import PaymentUpdate
from .notify import notify, revise_message
from .payment_rules import (
    Communication,
)
from .views import PaymentLineView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    """What creating the payment at Ponto gave: the signing link, or a problem (with a link to fix it)."""

    payment_id: int
    status: str
    link: str | None = None
    problem: str | None = None
    activation_link: str | None = None
    amount: int = 0
    currency: str = "EUR"


async def send(
    sessions: async_sessionmaker,
    make_client: Callable[[PontoConnection], PontoClient],
    payment_id: int,
    *,
    redirect_uri: str,
    now: datetime,
) -> Sent:
    """Create the stored payment at Ponto (once: its idempotency key goes with every attempt) and tell
    the channel it waits for a signature. A payment already sent is answered as it stands."""
    async with sessions() as session:
        payment = await session.get(PaymentRow, payment_id)
        assert payment is not None
        if payment.status != "preparing":
            return Sent(
                payment.id,
                payment.status,
                payment.redirect_link,
                payment.problem,
                amount=payment.amount,
                currency=payment.currency,
            )
        account = await session.get(BankAccount, payment.account_id)
        connection = await session.get(PontoConnection, account.connection_id) if account else None
        lines = await payment_store.items(session, payment.id)
    if account is None or connection is None or connection.status != "active":
        return await _failed(sessions, payment, "Ponto is not connected any more: nothing was sent.", now=now)
    client = make_client(connection)
    try:
        info = await client.userinfo()
        if not info.payments_activated:
            activation = await client.create_payment_activation_request(redirect_uri)
            problem = (
                f"Payment initiation is not activated for {info.name or 'this Ponto organization'}. "
                "An admin of the organization can activate it in Ponto; then prepare the payment again."
            )
            failed = await _failed(sessions, payment, problem, now=now)
            return Sent(failed.payment_id, failed.status, problem=problem, activation_link=activation)
        created = await _create(client, account.ponto_id, payment, lines, redirect_uri)
    except (PontoTransportError, PontoServerError, PontoRateLimited, PontoResponseError) as exc:
        return await _unanswered(sessions, payment, exc, now=now)  # it may exist at Ponto: ask again, same key
    except PontoAPIError as exc:
        return await _failed(sessions, payment, _refusal(exc), now=now)
    except PontoError as exc:
        return await _failed(sessions, payment, f"Ponto could not be used ({exc}). Nothing was created.", now=now)
    ponto_id, ponto_status, link = created
    async with sessions.begin() as session:
        stored = await session.get(PaymentRow, payment_id)
        assert stored is not None
        payment = stored
        moved = await payment_store.move(
            session,
            payment,
            "unsigned",
            now=now,
            ponto_id=ponto_id,
            ponto_status=ponto_status,
            redirect_link=link,
            problem=None,
            next_check_at=now,  # the follower's next round, then less often as it waits
        )
        if moved:
            await tell_channel(session, payment, now=now)
    return Sent(payment_id, "unsigned", link, amount=payment.amount, currency=payment.currency)


async def _create(
    client: PontoClient, account_ponto_id: str, payment: PaymentRow, lines: Sequence[PaymentItem], redirect_uri: str
) -> tuple[str, str, str | None]:
    def one(item: PaymentItem, *, own_date: bool) -> NewPayment:
        return NewPayment(
            amount=item.amount,
            currency=payment.currency,
            creditor_name=item.creditor_name,
            creditor_iban=item.creditor_iban,
            creditor_bic=item.creditor_bic,
            remittance_information=item.remittance,
            remittance_information_type=item.remittance_type,
            end_to_end_id=item.end_to_end_id,
            requested_execution_date=payment.requested_execution_date if own_date else None,
            redirect_uri=redirect_uri if own_date else None,
        )

    if payment.bulk:
        bulk = NewBulkPayment(
            reference=payment.reference or f"ponto-slack {payment.id}",
            payments=tuple(one(item, own_date=False) for item in lines),
            requested_execution_date=payment.requested_execution_date,
            redirect_uri=redirect_uri,
        )
        made = await client.create_bulk_payment(account_ponto_id, bulk, idempotency_key=payment.idempotency_key)
        return made.id, made.status, made.redirect
    single = await client.create_payment(
        account_ponto_id, one(lines[0], own_date=True), idempotency_key=payment.idempotency_key
    )
    return single.id, single.status, single.redirect


def _refusal(exc: PontoAPIError) -> str:
    """Ponto's refusal in words: what it said, and what to do."""
    details = "; ".join(str(e.get("detail") or e.get("code")) for e in exc.errors if e.get("detail") or e.get("code"))
    fields = {
        str((e.get("meta") or {}).get("attribute") or (e.get("source") or {}).get("pointer") or "") for e in exc.errors
    }
    if exc.status_code in (401, 403):
        return (
            f"Ponto refused the payment ({details or exc.status_code}): the connection may lack the payment "
            "permission. An admin can reconnect with `/ponto activate` and allow payments."
        )
    if any("creditorAccountReference" in f for f in fields):
        return f"Ponto refused the supplier's IBAN ({details}). Check it against the invoice; nothing was created."
    return f"Ponto refused the payment ({details or f'HTTP {exc.status_code}'}). Nothing was created."


async def _failed(sessions: async_sessionmaker, payment: PaymentRow, problem: str, *, now: datetime) -> Sent:
    async with sessions.begin() as session:
        row = await session.get(PaymentRow, payment.id)
        assert row is not None
        await payment_store.move(session, row, "failed", now=now, problem=problem, next_check_at=None)
    return Sent(payment.id, "failed", problem=problem)


async def _unanswered(sessions: async_sessionmaker, payment: PaymentRow, exc: Exception, *, now: datetime) -> Sent:
    """No answer: Ponto may have created it. It stays stored and is sent again with the same key later
    (`payment_follow`), which Ponto answers with the payment it made, if it made one."""
    problem = (
        "Ponto did not answer in time. The same request is sent again shortly (Ponto makes one payment "
        "of it whatever happens); the channel says when it is ready to sign."
    )
    async with sessions.begin() as session:
        row = await session.get(PaymentRow, payment.id)
        assert row is not None
        row.problem, row.next_check_at, row.updated_at = problem, now, now  # the follower's next round
    return Sent(payment.id, "preparing", problem=f"{problem} ({type(exc).__name__})")


# -- the channel's message --------------------------------------------------------------------------------


async def update_notice(session: AsyncSession, payment: PaymentRow) -> PaymentUpdate:
    account = await session.get(BankAccount, payment.account_id)
    lines = []
    for item in await payment_store.items(session, payment.id):
        invoice = await session.get(InvoiceRow, item.invoice_id)
        shown = Communication(item.remittance or "", item.remittance_type == "structured").shown
        lines.append(
            PaymentLineView(
                invoice.number if invoice else "?", item.creditor_name, item.creditor_iban, item.amount, shown
            )
        )
    return PaymentUpdate(
        payment_id=payment.id,
        status=payment.status,
        prepared_by=payment.created_by,
        account_name=account.name if account else "",
        account_iban=account.reference if account else "",
        currency=payment.currency,
        total=payment.amount,
        lines=lines,
        execution_date=payment.requested_execution_date,
        bulk=payment.bulk,
        ponto_status=payment.ponto_status,
        problem=payment.problem if payment.status not in ("unsigned", "signed", "paid") else None,
    )


async def tell_channel(session: AsyncSession, payment: PaymentRow, *, now: datetime) -> None:
    """Post the payment's message the first time, edit it in place after."""
    notice = await update_notice(session, payment)
    if payment.outbox_id is not None:
        await revise_message(session, payment.outbox_id, notice, now=now)
        return
    workspace = await session.get(Workspace, payment.workspace_id)
    assert workspace is not None
    message = await notify(session, workspace, notice, now=now, dedupe_key=f"payment:{payment.id}")
    if message is not None:
        payment.outbox_id = message.id
    else:  # queued by a process that stopped before it noted the id
        payment.outbox_id = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == f"payment:{payment.id}")
        )
