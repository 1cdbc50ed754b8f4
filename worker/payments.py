"""Pay purchase invoices through Ponto: what can be paid, a form filled from the invoice, the payment
stored before Ponto is called (so a double submit or a retry is one payment), then created at Ponto.

Following a payment to "paid" is `worker.payment_follow`; the forms and messages are in `bot/`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from money import from_minor_units
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
from storage import connections, payments as payment_store, workspaces
from storage.models import BankAccount, InvoiceRow, OutboxMessage, PaymentItem, PaymentRow, PontoConnection, Workspace

from .notices import PaymentUpdate
from .notify import notify, revise_message
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
from .views import PaymentLineView

log = logging.getLogger(__name__)
MAX_BULK = 100  # invoices in one bulk payment: a multi-select's options, and far above a usual run


class Refused(Exception):
    """This cannot be paid, with what to do instead (shown to the person as it is)."""


@dataclass(frozen=True)
class Payable:
    """An open purchase invoice, with what a payment of it needs."""

    invoice_id: int
    number: str
    supplier: str
    iban: str | None
    bic: str | None
    open_amount: int
    currency: str
    due_date: date | None
    reference: str | None
    held_by: PaymentRow | None = None  # a payment of it under way


@dataclass(frozen=True)
class Draft:
    """A payment form filled in from the invoices: the person checks it, changes it, submits it."""

    invoices: list[Payable]
    accounts: list[AccountChoice]
    values: dict[str, str]
    currency: str
    bulk: bool = False


async def _workspace(session: AsyncSession, team_id: str) -> tuple[Workspace, PontoConnection]:
    workspace = await workspaces.get_by_team(session, team_id)
    connection = await connections.get_for_workspace(session, workspace.id) if workspace else None
    if workspace is None or connection is None or connection.status != "active":
        raise Refused("Ponto is not connected (or needs reconnecting): `/ponto status` says what to do.")
    return workspace, connection


def _payable(row: InvoiceRow, held_by: PaymentRow | None = None) -> Payable:
    return Payable(
        invoice_id=row.id,
        number=row.number,
        supplier=row.counterparty_name or "",
        iban=row.counterparty_iban,
        bic=row.counterparty_bic,
        open_amount=row.amount - row.settled,
        currency=row.currency,
        due_date=row.due_date,
        reference=row.payment_reference,
        held_by=held_by,
    )


async def payables(session: AsyncSession, team_id: str) -> list[Payable]:
    """Open purchase invoices, the earliest due first (none due last)."""
    workspace = await workspaces.get_by_team(session, team_id)
    if workspace is None:
        return []
    query = select(InvoiceRow).where(
        InvoiceRow.workspace_id == workspace.id, InvoiceRow.kind == "purchase", InvoiceRow.status == "open"
    )
    rows = sorted(await session.scalars(query), key=lambda r: (r.due_date or date.max, r.number))
    held = await payment_store.holding(session, [r.id for r in rows])
    return [_payable(r, held.get(r.id)) for r in rows]


def account_choices(accounts: Sequence[BankAccount]) -> list[AccountChoice]:
    """The connected accounts a payment may leave from: active ones whose bank does not refuse payments."""
    return [
        AccountChoice(a.id, a.name, a.reference, a.currency, a.payments_enabled, a.bulk_payments_enabled)
        for a in accounts
        if a.active and a.reference_type == "IBAN" and a.payments_enabled is not False
    ]


async def _accounts(session: AsyncSession, connection: PontoConnection) -> list[BankAccount]:
    query = select(BankAccount).where(BankAccount.connection_id == connection.id).order_by(BankAccount.id)
    return list(await session.scalars(query))


async def draft(
    session: AsyncSession,
    team_id: str,
    numbers: Sequence[str],
    *,
    today: date,
    from_iban: str | None = None,
    bulk: bool = False,
) -> Draft:
    """The form for paying these invoices (one: a payment; several: a bulk payment), or Refused saying why
    not; `from_iban`: the account the person asked to pay from."""
    workspace, connection = await _workspace(session, team_id)
    found = await _open_purchases(session, workspace, numbers)
    currency = found[0].currency
    bulk = bulk or len(found) > 1
    if bulk and {r.currency for r in found} != {"EUR"}:
        raise Refused("Ponto's bulk payments are in EUR only: pay the invoices in other currencies one by one.")
    choices = account_choices(await _accounts(session, connection))
    usable = _usable(choices, currency, bulk=bulk)  # the first is the default; all are offered
    invoices = [_payable(r) for r in found]
    first = invoices[0]
    due = min((p.due_date for p in invoices if p.due_date), default=None)
    values = {"account": str(_chosen(choices, from_iban) if from_iban else usable[0].id)}
    values["date"] = max(due or today, today).isoformat()
    if not bulk:
        values |= {
            "creditor": sepa_text(first.supplier, NAME_LIMIT),
            "iban": first.iban or "",
            "bic": first.bic or "",
            "amount": str(from_minor_units(first.open_amount, currency)),
            "communication": communication_for(first.reference, first.number).shown,
        }
    else:
        values["reference"] = sepa_text(f"Supplier invoices {today.isoformat()}", NAME_LIMIT)
    return Draft(invoices, choices, values, currency, bulk)


async def _open_purchases(session: AsyncSession, workspace: Workspace, numbers: Sequence[str]) -> list[InvoiceRow]:
    """The named invoices, each an open purchase invoice no other payment holds; else Refused."""
    wanted = list(dict.fromkeys(n.strip() for n in numbers if n.strip()))
    if not wanted:
        raise Refused(
            "Say which invoice to pay: `/ponto pay INV-2026-001`, or use the Pay buttons of `/ponto payables`."
        )
    if len(wanted) > MAX_BULK:
        raise Refused(f"At most {MAX_BULK} invoices go in one bulk payment; you named {len(wanted)}.")
    query = select(InvoiceRow).where(InvoiceRow.workspace_id == workspace.id, InvoiceRow.number.in_(wanted))
    rows: dict[str, InvoiceRow] = {}
    for stored in await session.scalars(query):
        if stored.kind == "purchase" or stored.number not in rows:
            rows[stored.number] = stored
    found: list[InvoiceRow] = []
    for number in wanted:
        row = rows.get(number)
        if row is None:
            raise Refused(
                f"There is no invoice `{number}`. `/ponto payables` lists the supplier invoices still to pay."
            )
        if row.kind != "purchase":
            kind = row.kind.replace("_", " ")
            raise Refused(f"`{number}` is a {kind}: only supplier (purchase) invoices are paid from here.")
        if row.status != "open" or row.amount - row.settled <= 0:
            raise Refused(f"`{number}` is already paid.")
        found.append(row)
    held = await payment_store.holding(session, [r.id for r in found])
    for row in found:
        if (payment := held.get(row.id)) is not None:
            raise Refused(
                f"`{row.number}` is already in a payment prepared by <@{payment.created_by}> "
                f"({_STATUS_WORDS.get(payment.status, payment.status)}). Sign or reject that one first."
            )
    return found


def _chosen(choices: list[AccountChoice], iban_text: str) -> int:
    wanted = "".join(iban_text.split()).upper()
    for account in choices:
        if "".join(account.iban.split()).upper() == wanted:
            return account.id
    listed = ", ".join(a.iban for a in choices)
    raise Refused(f"No connected account that can pay has the IBAN {wanted[:40]}. These can: {listed}.")


def _usable(choices: list[AccountChoice], currency: str, *, bulk: bool) -> list[AccountChoice]:
    if not choices:
        raise Refused(
            "No connected account can pay through Ponto: the banks of the linked accounts do not allow "
            "payment initiation. Link a current account at a bank that does (`/ponto activate`)."
        )
    usable = [a for a in choices if account_problem(a, currency, bulk=bulk) is None]
    if not usable:
        what = " in a bulk payment" if bulk else ""
        raise Refused(f"No connected account can pay {currency}{what}: link one that can with `/ponto activate`.")
    return usable


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
        workspace, _connection = await _workspace(session, submission.team_id)
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


_STATUS_WORDS = {
    "preparing": "being sent to Ponto",
    "unsigned": "waiting for signature",
    "signed": "signed, waiting for the bank",
}
