"""What can be paid from Slack, and the payment form filled in from the invoices: open supplier invoices,
the accounts that may pay, a Refused saying what to do when something cannot be paid."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from money import from_minor_units
from storage import connections, payments as payment_store, workspaces
from storage.models import BankAccount, InvoiceRow, PaymentRow, PontoConnection, Workspace

from .payment_rules import (
    NAME_LIMIT,
    AccountChoice,
    account_problem,
    communication_for,
    sepa_text,
)

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


async def connected_workspace(session: AsyncSession, team_id: str) -> tuple[Workspace, PontoConnection]:
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
    workspace, connection = await connected_workspace(session, team_id)
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
                f"({STATUS_WORDS.get(payment.status, payment.status)}). Sign or reject that one first."
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


STATUS_WORDS = {
    "preparing": "being sent to Ponto",
    "unsigned": "waiting for signature",
    "signed": "signed, waiting for the bank",
}
