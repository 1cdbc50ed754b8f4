"""A submitted payment form, stored before Ponto is called (so a double submit or a retry is one payment)
with its invoices held, so an invoice is in one payment at a time. Creating it at Ponto and telling the
channel is `worker.payment_sending`; following it to "paid" is `worker.payment_follow`."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage import payments as payment_store
from storage.models import PaymentItem, PaymentRow

from .payment_forms import Draft, Payable, Refused, connected_workspace, draft
from .payment_rules import (
    END_TO_END_LIMIT,
    NAME_LIMIT,
    AccountChoice,
    Communication,
    PaymentForm,
    account_problem,
    check_bic,
    check_form,
    check_iban,
    communication_for,
    execution_date,
    sepa_text,
    text_problem,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """A submitted payment form. `key`: the same for a repeated submission of the same form."""

    team_id: str
    user_id: str
    key: str
    numbers: list[str]
    values: dict[str, str]
    confirmed_amount: int | None = None
    bulk: bool = False  # an amount above what is open, already confirmed by the person


@dataclass(frozen=True)
class Prepared:
    """What a submission did: a payment stored (`payment_id`), or `errors` by field, or an amount to confirm."""

    payment_id: int | None = None
    errors: dict[str, str] = field(default_factory=dict)
    confirm_amount: int | None = None
    refused: str | None = None


def idempotency_key(form_key: str) -> str:
    """One key per form: Ponto answers a repeated creation with the first payment (§5.13)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ponto-slack/payment/{form_key}"))


class _Taken(Exception):
    """Another payment holds one of the invoices: this one is not stored."""


async def prepare(sessions: async_sessionmaker, submission: Submission, *, today: date, now: datetime) -> Prepared:
    """Check the form and store the payment with its invoices held; Ponto is not called yet."""
    try:
        return await _prepare(sessions, submission, today=today, now=now)
    except _Taken:
        return Prepared(refused="Someone started a payment of the same invoice a moment ago: see the channel.")
    except IntegrityError:  # the same form, submitted twice at once: the other submission stored it
        async with sessions() as session:
            existing = await payment_store.by_key(session, idempotency_key(submission.key))
        if existing is None:
            raise
        return Prepared(payment_id=existing.id)


async def _prepare(sessions: async_sessionmaker, submission: Submission, *, today: date, now: datetime) -> Prepared:
    key = idempotency_key(submission.key)
    async with sessions.begin() as session:
        if (existing := await payment_store.by_key(session, key)) is not None:
            return Prepared(payment_id=existing.id)  # the same form submitted again: the same payment
        try:
            filled = await draft(session, submission.team_id, submission.numbers, today=today, bulk=submission.bulk)
        except Refused as exc:
            return Prepared(refused=str(exc))
        accounts = {a.id: a for a in filled.accounts}
        if filled.bulk:
            lines, errors = _bulk_lines(filled, submission.values, accounts, today)
            form = None
        else:
            form, errors = check_form(submission.values, currency=filled.currency, today=today, accounts=accounts)
            lines = []
        if errors:
            return Prepared(errors=errors)
        if form is not None:
            open_amount = filled.invoices[0].open_amount
            if form.amount > open_amount and submission.confirmed_amount != form.amount:
                return Prepared(confirm_amount=form.amount)
            lines = [_line(filled.invoices[0], form)]
            account_id, day = form.account_id, form.execution_date
        else:
            account_id = int(submission.values["account"])
            day = date.fromisoformat(submission.values["date"])
        workspace, _connection = await connected_workspace(session, submission.team_id)
        payment = PaymentRow(
            workspace_id=workspace.id,
            account_id=account_id,
            bulk=filled.bulk,
            idempotency_key=key,
            status="preparing",
            currency=filled.currency,
            amount=sum(item.amount for item in lines),
            requested_execution_date=day,
            reference=submission.values.get("reference") if filled.bulk else None,
            created_by=submission.user_id,
            created_at=now,
            updated_at=now,
        )
        session.add(payment)
        await session.flush()
        if not await payment_store.hold(session, payment.id, [p.invoice_id for p in filled.invoices]):
            raise _Taken  # rolls the payment back
        for index, item in enumerate(lines):
            item.payment_id = payment.id
            item.end_to_end_id = f"PS{payment.id}-{index + 1}"[:END_TO_END_LIMIT]
        session.add_all(lines)
        return Prepared(payment_id=payment.id)


def _line(invoice: Payable, form: PaymentForm) -> PaymentItem:
    return PaymentItem(
        invoice_id=invoice.invoice_id,
        amount=form.amount,
        creditor_name=form.creditor_name,
        creditor_iban=form.iban,
        creditor_bic=form.bic,
        remittance=form.communication.text,
        remittance_type="structured" if form.communication.structured else "unstructured",
        end_to_end_id="",
    )


def _bulk_lines(
    filled: Draft, values: dict[str, str], accounts: dict[int, AccountChoice], today: date
) -> tuple[list[PaymentItem], dict[str, str]]:
    """A bulk payment pays each invoice's open amount to the IBAN on the invoice; what is wrong, by field."""
    errors: dict[str, str] = {}
    account_id = int(values["account"]) if values.get("account", "").isdigit() else None
    if problem := account_problem(accounts.get(account_id) if account_id else None, filled.currency, bulk=True):
        errors["account"] = problem
    _day, problem = execution_date(values.get("date", ""), today)
    if problem:
        errors["date"] = problem
    reference = values.get("reference", "").strip()
    if not reference or (problem := text_problem(reference, NAME_LIMIT)):
        errors["reference"] = problem or "Give the bulk payment a name (Ponto's dashboard shows it)."
    lines, wrong = [], []
    for invoice in filled.invoices:
        iban, iban_problem = check_iban(invoice.iban or "")
        bic, bic_problem = check_bic(invoice.bic or "")
        name = sepa_text(invoice.supplier, NAME_LIMIT)
        if iban_problem or bic_problem or not name:
            wrong.append(f"{invoice.number}: {iban_problem or bic_problem or 'no supplier name'}")
            continue
        communication: Communication = communication_for(invoice.reference, invoice.number)
        lines.append(
            PaymentItem(
                invoice_id=invoice.invoice_id,
                amount=invoice.open_amount,
                creditor_name=name,
                creditor_iban=iban,
                creditor_bic=bic,
                remittance=communication.text,
                remittance_type="structured" if communication.structured else "unstructured",
                end_to_end_id="",
            )
        )
    if wrong:
        errors["invoices"] = ("Pay these one by one to correct them: " + "; ".join(wrong))[:150]
    return lines, errors


# -- at Ponto ---------------------------------------------------------------------------------------------
