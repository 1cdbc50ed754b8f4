"""One place for the mappings between layers: Ponto and parsed invoices in, stored rows, notice views."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from invoices import Invoice
from matching import BankLine, OpenItem, normalize_reference
from matching.engine import compact_iban
from ponto import Account, Transaction
from storage import accounts as account_store, invoices as invoice_store, transactions
from storage.models import BankAccount, BankTransaction, InvoiceRow

from .notices import AccountView, BankLineView, InvoiceView


def json_text(value: Any) -> str:
    """A body parsed from JSON written back as JSON text; its Decimals become strings, no digit lost."""
    return json.dumps(value, default=_decimal_text, separators=(",", ":"))


def jsonable(value: Any) -> Any:
    """Decimals become strings so the raw body can be stored as JSON without losing digits (a round trip
    through the C encoder and decoder: several times faster than walking the body in Python)."""
    return json.loads(json_text(value))


def _decimal_text(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


# -- into storage -------------------------------------------------------------------------------------


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
        amount_exact=tx.amount_exact,
        raw=jsonable(dict(tx.raw)),
    )


def account_data(account: Account) -> account_store.AccountData:
    return account_store.AccountData(
        ponto_id=account.id,
        reference=account.reference,
        reference_type=account.reference_type,
        name=account.name,
        holder_name=account.holder_name,
        currency=account.currency,
        current_balance=account.current_balance,
        available_balance=account.available_balance,
        authorization_expires_at=account.authorization_expires_at,
        synchronized_at=account.synchronized_at,
        raw=jsonable(account.raw),
    )


def invoice_data(invoice: Invoice) -> invoice_store.InvoiceData:
    return invoice_store.InvoiceData(
        number=invoice.number,
        kind=invoice.kind,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        amount=invoice.amount,
        payment_reference=invoice.payment_reference,
        counterparty_name=invoice.counterparty_name,
        counterparty_iban=invoice.counterparty_iban,
        counterparty_vat=invoice.counterparty_vat,
        counterparty_bic=invoice.counterparty_bic,
    )


# -- into the matcher ------------------------------------------------------------------------------------


def as_invoice(row: InvoiceRow) -> Invoice:
    return Invoice(
        number=row.number,
        kind=row.kind,
        issue_date=row.issue_date,
        due_date=row.due_date,
        currency=row.currency,
        amount=row.amount,
        payment_reference=row.payment_reference,
        counterparty_name=row.counterparty_name,
        counterparty_iban=row.counterparty_iban,
    )


def open_item(invoice: Invoice, settled: int = 0) -> OpenItem:
    """The invoice's residual as a signed bank movement; `settled` is what earlier payments covered."""
    expected = invoice.expected_movement
    residual = expected - settled if expected > 0 else expected + settled
    ibans = {compact_iban(x) for x in (invoice.counterparty_iban,) if x}
    return OpenItem(
        number=invoice.number,
        residual=residual,
        currency=invoice.currency,
        party=invoice.counterparty_name or "",
        reference=normalize_reference(invoice.payment_reference),
        party_ibans=frozenset(i for i in ibans if i),
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
    )


def residual_item(row: InvoiceRow) -> OpenItem:
    return open_item(as_invoice(row), settled=row.settled)


def bank_line(tx: Transaction | BankTransaction) -> BankLine:
    """A Ponto transaction, or a stored one (then the id is our row id), as the matcher sees it."""
    return BankLine(
        id=str(tx.id),
        amount=tx.amount,
        currency=tx.currency,
        counterpart_name=tx.counterpart_name,
        counterpart_iban=tx.counterpart_reference,
        remittance=tx.remittance_information,
        remittance_type=tx.remittance_information_type,
        execution_date=tx.execution_date,
    )


# -- into notices -----------------------------------------------------------------------------------------


def line_view(tx: BankTransaction, account: BankAccount | None) -> BankLineView:
    return BankLineView(
        id=tx.ponto_id,
        amount=tx.amount,
        currency=tx.currency,
        counterpart=tx.counterpart_name,
        remittance=tx.remittance_information,
        execution_date=tx.execution_date,
        account_name=account.name if account else None,
        counterpart_iban=tx.counterpart_reference,
        amount_exact=tx.amount_exact,
        account_iban=account.reference if account else None,
    )


def invoice_view(row: InvoiceRow, applied: int | None = None) -> InvoiceView:
    return InvoiceView(
        number=row.number,
        customer=row.counterparty_name,
        amount=row.amount,
        currency=row.currency,
        remaining=max(0, row.amount - row.settled),
        kind=row.kind,
        due_date=row.due_date,
        applied=applied,
    )


def account_view(account: Account) -> AccountView:
    return AccountView(
        account.reference, account.name, account.currency, account.current_balance, account.available_balance
    )
