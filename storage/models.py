"""Tables. Every row belongs to one workspace (Slack team); no query may cross them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, orm_insert_sentinel
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# SENTINEL: tables written many rows at a time carry an integer that SQLAlchemy fills per INSERT, so
# that SQLite (whose RETURNING order is not guaranteed) can insert them in one statement per batch and
# still hand each row its id; without it, SQLite falls back to one INSERT per row.


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), unique=True)
    team_name: Mapped[str | None] = mapped_column(String(255))
    finance_channel: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    slack_paused_reason: Mapped[str | None] = mapped_column(String(64))  # set: posting stopped, outbox kept
    slack_paused_at: Mapped[datetime | None]
    last_summary_on: Mapped[date | None]
    language: Mapped[str | None] = mapped_column(String(8))  # what the channel is told in; None: LOCALE's


class ApiToken(Base):
    """A bearer token for /api that reaches one workspace; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class PontoConnection(Base):
    """One Ponto organization linked to a workspace; tokens are Fernet ciphertexts."""

    __tablename__ = "ponto_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), unique=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    organization_name: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))  # active | disconnected | broken
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    access_token_expires_at: Mapped[datetime | None]
    scope: Mapped[str] = mapped_column(String(255), default="")
    connected_by: Mapped[str] = mapped_column(String(32))
    customer_ip: Mapped[str | None] = mapped_column(String(45))  # of the person who consented (customerIpAddress)
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sync_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OAuthState(Base):
    """A single-use consent request; only the SHA-256 of the state value is stored."""

    __tablename__ = "oauth_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    response_url: Mapped[str | None] = mapped_column(Text)
    channel_note: Mapped[str | None] = mapped_column(Text)  # what the person must still do about the channel
    code_verifier_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]


class BankAccount(Base):
    __tablename__ = "bank_accounts"
    __table_args__ = (UniqueConstraint("connection_id", "ponto_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("ponto_connections.id", ondelete="CASCADE"))
    ponto_id: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(64))  # IBAN for referenceType IBAN
    reference_type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    holder_name: Mapped[str | None] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3))
    current_balance: Mapped[int | None] = mapped_column(BigInteger)  # minor units
    available_balance: Mapped[int | None] = mapped_column(BigInteger)
    authorization_expires_at: Mapped[datetime | None]
    synchronized_at: Mapped[datetime | None]
    # Set while Ponto's synchronizations of this account fail: "authorization" (the bank's consent) or "bank".
    sync_problem: Mapped[str | None] = mapped_column(String(32))
    sync_problem_since: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    raw: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # What its bank lets an integration initiate (the financial institution's flags); None: not asked yet.
    payments_enabled: Mapped[bool | None]
    bulk_payments_enabled: Mapped[bool | None]


class OutboxMessage(Base):
    """A message to deliver to Slack, written in the same transaction as what caused it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    _sentinel: Mapped[int | None] = orm_insert_sentinel()  # see SENTINEL
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Claims whose outcome is unknown (a crash, a timeout, a 5xx) plus the current one: >1 means it may
    # already be in Slack. A claim Slack answered is given back, so a 429 never causes a lookup.
    claims: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    slack_channel_id: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class BankTransaction(Base):
    """A bank line, booked or pending, upserted by its Ponto id."""

    __tablename__ = "bank_transactions"
    __table_args__ = (UniqueConstraint("account_id", "ponto_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id", ondelete="CASCADE"))
    ponto_id: Mapped[str] = mapped_column(String(64))
    pending: Mapped[bool] = mapped_column(default=False)
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units, signed: outgoing is negative
    # The bank's amount as sent, when it has more decimals than the currency's minor unit (`amount` is then
    # rounded half-even, and such a line is never matched automatically).
    amount_exact: Mapped[str | None] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    value_date: Mapped[date | None]
    execution_date: Mapped[date | None] = mapped_column(index=True)
    counterpart_name: Mapped[str | None] = mapped_column(String(255))
    counterpart_reference: Mapped[str | None] = mapped_column(String(64))
    remittance_information: Mapped[str | None] = mapped_column(Text)
    remittance_information_type: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    end_to_end_id: Mapped[str | None] = mapped_column(String(64))
    # Ponto's body as sent: compared when a line is listed again, otherwise never read (so not loaded).
    raw: Mapped[dict[str, Any]] = mapped_column(deferred=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SyncState(Base):
    """When a connection syncs next, who holds its lease, and how the last sync went."""

    __tablename__ = "sync_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("ponto_connections.id", ondelete="CASCADE"), unique=True)
    next_sync_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    initial_import_done: Mapped[bool] = mapped_column(default=False)
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class HomeViewer(Base):
    """Someone who opened the app's Home tab, and the version of the workspace's data it last showed them:
    when that changes, the tab is published again (by one process, the one that claims the new version)."""

    __tablename__ = "home_viewers"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime]
    shown_version: Mapped[str | None] = mapped_column(String(128))


class Heartbeat(Base):
    """A background process saying it is alive: /healthz finds out from these whether any worker runs."""

    __tablename__ = "heartbeats"

    owner: Mapped[str] = mapped_column(String(64), primary_key=True)  # host:pid, as leases name it
    role: Mapped[str] = mapped_column(String(16))  # "worker" (sync and delivery) or "serve" with its own worker
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime] = mapped_column(index=True)


class WebhookEvent(Base):
    """A verified Ponto webhook, recorded once (by event id) and processed by the worker."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(128))
    organization_id: Mapped[str | None] = mapped_column(String(64), index=True)
    account_id: Mapped[str | None] = mapped_column(String(64))
    synchronization_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(index=True)


class BalanceSnapshot(Base):
    """Balances as last summarised, for 'change since the previous summary'."""

    __tablename__ = "balance_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id", ondelete="CASCADE"), index=True)
    taken_at: Mapped[datetime]
    current_balance: Mapped[int | None] = mapped_column(BigInteger)
    available_balance: Mapped[int | None] = mapped_column(BigInteger)


class InvoiceRow(Base):
    """An invoice or credit note; idempotent on (workspace, number, kind)."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("workspace_id", "number", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    issue_date: Mapped[date]
    due_date: Mapped[date | None]
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)  # as the document states it, minor units, positive
    settled: Mapped[int] = mapped_column(BigInteger, default=0)  # covered by confirmed payments
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | paid
    payment_reference: Mapped[str | None] = mapped_column(String(140))
    counterparty_name: Mapped[str | None] = mapped_column(String(255))
    counterparty_iban: Mapped[str | None] = mapped_column(String(64))
    counterparty_vat: Mapped[str | None] = mapped_column(String(64))
    counterparty_bic: Mapped[str | None] = mapped_column(String(11))
    paying_payment_id: Mapped[int | None] = mapped_column(Integer)  # a payment under way holds it: one at a time
    source: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Match(Base):
    """What the matcher decided for one bank line, and who settled it when."""

    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    _sentinel: Mapped[int | None] = orm_insert_sentinel()  # see SENTINEL
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("bank_transactions.id", ondelete="CASCADE"), unique=True)
    decision: Mapped[str] = mapped_column(String(8))  # auto | ask | none
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending | settled | dismissed | none
    candidates: Mapped[dict[str, Any]]  # {"numbers": [...], "reasons": [...]}
    settled_by: Mapped[str | None] = mapped_column(String(32))  # "auto" or a Slack user id
    settled_at: Mapped[datetime | None]
    question_outbox_id: Mapped[int | None] = mapped_column(Integer)
    paid_outbox_id: Mapped[int | None] = mapped_column(Integer)  # the latest "marked paid", edited by Undo
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Allocation(Base):
    """Money of one bank line applied to one invoice."""

    __tablename__ = "allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    _sentinel: Mapped[int | None] = orm_insert_sentinel()  # see SENTINEL
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class PartyLink(Base):
    """A confirmed 'this account belongs to this customer', remembered for the next payments."""

    __tablename__ = "party_links"
    __table_args__ = (UniqueConstraint("workspace_id", "iban"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    iban: Mapped[str] = mapped_column(String(64))
    party_name: Mapped[str] = mapped_column(String(255))
    confirmed_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentRow(Base):
    """A payment (or bulk payment) of purchase invoices started from Slack, followed until it is paid.

    `status`: preparing (stored, not yet at Ponto) -> unsigned -> signed -> paid, or failed | rejected |
    expired | cancelled. `idempotency_key` is sent to Ponto, so a retried creation is one payment.
    """

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id", ondelete="CASCADE"))
    bulk: Mapped[bool] = mapped_column(default=False)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    ponto_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    ponto_status: Mapped[str | None] = mapped_column(String(64))
    problem: Mapped[str | None] = mapped_column(Text)  # what went wrong, in words a person can act on
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)  # the total, minor units
    requested_execution_date: Mapped[date | None]
    reference: Mapped[str | None] = mapped_column(String(140))
    redirect_link: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(32))
    outbox_id: Mapped[int | None] = mapped_column(Integer)  # the channel's message, edited at each change
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)  # when to ask Ponto again


class PaymentItem(Base):
    """One invoice paid by a payment: to whom, how much, with which communication."""

    __tablename__ = "payment_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    creditor_name: Mapped[str] = mapped_column(String(60))
    creditor_iban: Mapped[str] = mapped_column(String(34))
    creditor_bic: Mapped[str | None] = mapped_column(String(11))
    remittance: Mapped[str | None] = mapped_column(String(140))
    remittance_type: Mapped[str] = mapped_column(String(16), default="unstructured")
    end_to_end_id: Mapped[str] = mapped_column(String(35))


def table_of(model: type[Base]) -> Table:
    """The model's table, for Core statements (bulk inserts skip the ORM's per-row work)."""
    return cast(Table, model.__table__)
