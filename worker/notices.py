"""What the finance channel is told: one frozen dataclass per message kind.

The worker builds notices and queues them (`worker.notify`); the outbox stores a notice's kind and
its fields as JSON (`encode`); the notifier reads them back (`decode`) and `bot/` renders each by its
type. Amounts are integer minor units. Field names are the outbox's JSON keys: rename one only with
a migration of the stored rows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from .notice_codec import build, encode
from .views import (
    AccountView,
    BalanceLine,
    BalanceTotal,
    BankLineView,
    Closing,
    CurrencyFlow,
    InvoiceView,
    PaymentLineView,
)

__all__ = [
    "AccountView",
    "BalanceLine",
    "BalanceTotal",
    "BankLineView",
    "Closing",
    "CurrencyFlow",
    "InvoiceView",
    "encode",
]


class UnknownNotice(Exception):
    """An outbox row of a kind (or shape) this version cannot read."""

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind, self.detail = kind, detail
        super().__init__(f"{kind!r}: {detail}" if detail else repr(kind))


@dataclass(frozen=True)
class Notice:
    """Base of every message kind; `kind` names it in the outbox."""

    kind: ClassVar[str] = ""


@dataclass(frozen=True)
class AccountsOverview(Notice):
    kind: ClassVar[str] = "accounts_overview"
    organization_name: str | None = None
    connected_by: str | None = None
    accounts: list[AccountView] = field(default_factory=list)


@dataclass(frozen=True)
class Disconnected(Notice):
    kind: ClassVar[str] = "disconnected"
    organization_name: str | None
    by: str
    revoked: bool


@dataclass(frozen=True)
class TransactionPosted(Notice, BankLineView):
    """One new bank line: the line's own fields, flat, as the outbox has always stored them."""

    kind: ClassVar[str] = "transaction"

    @classmethod
    def of(cls, line: BankLineView) -> TransactionPosted:
        return cls(**{f.name: getattr(line, f.name) for f in dataclasses.fields(line)})


@dataclass(frozen=True)
class TransactionsDigest(Notice):
    kind: ClassVar[str] = "transactions_digest"
    account_name: str
    account_iban: str
    count: int
    transactions: list[BankLineView]
    totals: dict[str, CurrencyFlow]


@dataclass(frozen=True)
class ImportSummary(Notice):
    kind: ClassVar[str] = "import_summary"
    count: int
    accounts: int
    since: date
    per_account: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class BalanceSummary(Notice):
    kind: ClassVar[str] = "balance_summary"
    accounts: list[BalanceLine]
    totals: dict[str, BalanceTotal]
    at: datetime
    title: str | None = None


@dataclass(frozen=True)
class ReauthorizationNeeded(Notice):
    kind: ClassVar[str] = "reauthorization_needed"
    account_id: str
    iban: str
    name: str
    expires_at: datetime


@dataclass(frozen=True)
class SyncFailing(Notice):
    """Ponto's synchronizations of an account fail; edited in place once one succeeds again."""

    kind: ClassVar[str] = "sync_failing"
    account_id: str
    iban: str
    name: str
    problem: str  # "authorization": the bank's consent must be renewed; "bank": the bank fails, Ponto retries
    codes: list[str]
    since: datetime
    recovered_at: datetime | None = None


@dataclass(frozen=True)
class ReconnectNeeded(Notice):
    kind: ClassVar[str] = "reconnect_needed"
    organization_name: str | None
    connected_by: str | None
    revoked: bool = False


@dataclass(frozen=True)
class OrganizationBlocked(Notice):
    kind: ClassVar[str] = "organization_blocked"
    organization_name: str | None


@dataclass(frozen=True)
class OrganizationUnblocked(Notice):
    kind: ClassVar[str] = "organization_unblocked"
    organization_name: str | None


@dataclass(frozen=True)
class AccountAdded(Notice, AccountView):
    kind: ClassVar[str] = "account_added"


@dataclass(frozen=True)
class AccountRevoked(Notice):
    kind: ClassVar[str] = "account_revoked"
    iban: str
    name: str
    currency: str


@dataclass(frozen=True)
class SlackPaused(Notice):
    """Told directly to the person who connected: the channel itself is what fails."""

    kind: ClassVar[str] = "slack_paused"
    channel: str
    reason: str
    advice: str


@dataclass(frozen=True)
class InvoicePaid(Notice):
    kind: ClassVar[str] = "invoice_paid"
    match_id: int
    line: BankLineView
    how: list[str]  # the matcher's reasons; empty when a person chose
    by: str  # "auto" or the Slack user who chose
    invoices: list[InvoiceView]  # `applied` is what this payment paid, `remaining` what is still open after it
    undone_by: str | None = None  # set when someone pressed Undo: the message is edited to say so
    undone_at: datetime | None = None


@dataclass(frozen=True)
class MatchQuestion(Notice):
    """A payment that could settle several invoices; `closing` once it is answered or moot.

    `together`: the candidates are one customer's invoices whose amounts add up to the payment, so
    the first choice offered is all of them at once.
    """

    kind: ClassVar[str] = "match_question"
    match_id: int
    line: BankLineView
    reasons: list[str] = field(default_factory=list)
    candidates: list[InvoiceView] = field(default_factory=list)
    together: bool = False
    closing: Closing | None = None


@dataclass(frozen=True)
class PaymentUpdate(Notice):
    """A payment started from Slack, as it stands: posted once when prepared, then edited in place.

    `status`: unsigned | signed | paid | rejected | expired | cancelled | failed.
    """

    kind: ClassVar[str] = "payment"
    payment_id: int
    status: str
    prepared_by: str
    account_name: str
    account_iban: str
    currency: str
    total: int
    lines: list[PaymentLineView]
    execution_date: date | None = None
    bulk: bool = False
    ponto_status: str | None = None
    problem: str | None = None


KINDS: dict[str, type[Notice]] = {
    cls.kind: cls
    for cls in (
        AccountsOverview,
        Disconnected,
        TransactionPosted,
        TransactionsDigest,
        ImportSummary,
        BalanceSummary,
        ReauthorizationNeeded,
        SyncFailing,
        ReconnectNeeded,
        OrganizationBlocked,
        OrganizationUnblocked,
        AccountAdded,
        AccountRevoked,
        SlackPaused,
        InvoicePaid,
        MatchQuestion,
        PaymentUpdate,
    )
}


def decode(kind: str, fields: dict[str, Any]) -> Notice:
    """The notice an outbox row holds; keys the type does not know (outbox bookkeeping) are ignored."""
    try:
        cls = KINDS[kind]
    except KeyError as exc:
        raise UnknownNotice(kind) from exc
    try:
        notice = build(cls, fields)
    except (TypeError, ValueError, KeyError) as exc:
        raise UnknownNotice(kind, str(exc)) from exc
    assert isinstance(notice, Notice)
    return notice
