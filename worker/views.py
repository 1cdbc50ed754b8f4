"""Value objects that messages show: a bank line, an invoice, an account, balances. Minor units."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar


@dataclass(frozen=True)
class BankLineView:
    """A bank line as messages show it."""

    id: str
    amount: int
    currency: str
    counterpart: str | None = None
    remittance: str | None = None
    execution_date: date | None = None
    account_name: str | None = None
    counterpart_iban: str | None = None
    account_iban: str | None = None
    amount_exact: str | None = None  # the bank's amount, when finer than the currency's minor unit


@dataclass(frozen=True)
class InvoiceView:
    """An invoice as messages show it; `applied` is what one payment paid of it."""

    number: str
    customer: str | None
    amount: int
    currency: str
    remaining: int
    kind: str = "sales"
    due_date: date | None = None
    applied: int | None = None


@dataclass(frozen=True)
class PaymentLineView:
    """One invoice in a payment: to whom, how much, with which communication."""

    number: str
    supplier: str
    iban: str
    amount: int
    communication: str


@dataclass(frozen=True)
class AccountView:
    iban: str
    name: str
    currency: str
    current_balance: int | None = None
    available_balance: int | None = None


@dataclass(frozen=True)
class BalanceLine:
    name: str
    iban: str
    currency: str
    current_balance: int | None
    available_balance: int | None
    change: int | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class CurrencyFlow:
    """Money in (positive) and out (negative) in one currency, minor units."""

    aliases: ClassVar[dict[str, str]] = {"in": "incoming", "out": "outgoing"}  # rows stored before the rename
    incoming: int = 0
    outgoing: int = 0


@dataclass(frozen=True)
class BalanceTotal:
    current: int = 0
    available: int = 0


@dataclass(frozen=True)
class PaidElsewhere:
    """An invoice a question offered, paid by another bank line: whose, and when."""

    number: str
    paid_by: str | None = None
    paid_on: date | None = None


@dataclass(frozen=True)
class Closing:
    """How a question ended, for the edited message: answered, dismissed, or nothing left to choose."""

    how: str  # "chosen" | "dismissed" | "paid_elsewhere"
    by: str | None = None  # the Slack user who answered
    invoices: list[str] = field(default_factory=list)  # chosen
    elsewhere: list[PaidElsewhere] = field(default_factory=list)
