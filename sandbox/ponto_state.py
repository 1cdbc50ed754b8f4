"""State of the Ponto stand-in: the organizations, their bank lines, tokens, syncs, payments, faults."""

from __future__ import annotations

import random
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from .ponto_data import (
    SandboxOrganization,
    demo_organization,
    generated_organization,
    iso,
    stable_id,
    transaction_attributes,
)
from .ponto_webhooks import DEFAULT_AUDIENCE, WebhookSender

DEFAULT_CLIENT_ID = "sandbox-client"
DEFAULT_CLIENT_SECRET = "sandbox-secret"
SEED = 2026
HISTORY = (28, 16, 6)  # transactions seeded per demo account, over the last 45 days


@dataclass
class Code:
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    expires_at: datetime
    organization_id: str
    used: bool = False


@dataclass
class Grant:
    """An issued access token, or a refresh token that can be spent once."""

    organization_id: str
    scope: str
    expires_at: datetime | None


@dataclass
class BankLine:
    id: str
    account_id: str
    attributes: dict[str, Any]
    pending: bool = False


@dataclass
class Sync:
    id: str
    account_id: str
    subtype: str
    created_at: datetime
    duration: timedelta
    updated: list[str] = field(default_factory=list)
    updated_pending: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def status(self, now: datetime) -> str:
        elapsed = now - self.created_at
        if elapsed >= self.duration:
            return "error" if self.errors else "success"
        return "pending" if elapsed < self.duration / 4 else "running"


@dataclass
class SyncFailure:
    """The bank fails this account's synchronizations: `count` more times (None: until cleared)."""

    errors: list[dict[str, Any]]
    count: int | None = None


@dataclass
class Fault:
    """An injected failure for requests whose path matches `path`: the next `count` of them or, with a
    `rate`, that share of them at random for as long as the fault is set."""

    path: str
    status: int | None = None
    count: int = 1
    delay: float = 0.0
    truncate: bool = False
    retry_after: float | None = None
    method: str | None = None
    rate: float | None = None

    def matches(self, method: str, path: str) -> bool:
        left = self.rate is not None or self.count > 0
        return left and (self.method in (None, method)) and re.search(self.path, path) is not None


class PontoSandbox:
    """In-memory state; tokens expire and refresh tokens rotate like Ponto's."""

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        access_token_ttl: int = 1799,
        webhook_url: str | None = None,
        webhook_audience: str = DEFAULT_AUDIENCE,
        seed: int = SEED,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_token_ttl = access_token_ttl
        self.sync_duration = timedelta(seconds=0.3)
        now = datetime.now(UTC)
        self.organization: SandboxOrganization = demo_organization(now)  # the one a consent picks by default
        self.organizations = {self.organization.id: self.organization}
        self.codes: dict[str, Code] = {}
        self.access_tokens: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.revoked: list[str] = []
        self.spent_refresh_tokens: set[str] = set()
        self.refresh_reuses = 0  # a spent refresh token presented again: two processes refreshing at once
        self.runs: dict[tuple[str, str], list[datetime]] = {}  # (organization, X-Correlation-Id): first, last
        self.lines: dict[str, list[BankLine]] = {a.id: [] for a in self.organization.accounts}  # oldest first
        self.pending: dict[str, list[BankLine]] = {a.id: [] for a in self.organization.accounts}
        self.unsynced: dict[str, list[str]] = {a.id: [] for a in self.organization.accounts}
        self.syncs: dict[str, Sync] = {}
        self.sync_failures: dict[str, SyncFailure] = {}
        self.customer_ips: list[str] = []  # customerIpAddress of every synchronization asked for
        self.payments: dict[str, dict[str, Any]] = {}
        self.bulk_payments: dict[str, dict[str, Any]] = {}  # id -> account, resource, payments, idempotency key
        self.reauthorizations: dict[str, dict[str, Any]] = {}
        self.payments_activated: set[str] = {self.organization.id}  # on by default in Ponto's sandbox (§4.10)
        self.activation_requests: dict[str, dict[str, Any]] = {}
        self.institutions: dict[str, dict[str, Any]] = {}  # financial institution id -> attributes a test changed
        self.blocked_ibans: set[str] = set()  # creditor accounts Ponto refuses
        self.payment_expiry: timedelta | None = None  # unsigned payments expire after this; None: never
        self.faults: list[Fault] = []
        self.index: dict[str, BankLine] = {}
        self.hidden: list[Any] = []  # accounts the organization stopped sharing
        self.webhooks = WebhookSender(webhook_url, audience=webhook_audience)
        self._sequence = 0
        self.demo_step = 0  # how far the demo's script got (sandbox.demo_driver)
        self._seed_history(random.Random(seed), now)

    def now(self) -> datetime:
        return datetime.now(UTC)

    # What a restarted demo needs to go on where it stopped (see sandbox.snapshots); faults, codes in
    # flight and the record kept for tests start afresh.
    KEPT = (
        "organizations",
        "access_tokens",
        "refresh_tokens",
        "spent_refresh_tokens",
        "revoked",
        "lines",
        "pending",
        "unsynced",
        "syncs",
        "payments",
        "bulk_payments",
        "reauthorizations",
        "payments_activated",
        "hidden",
        "_sequence",
        "demo_step",
    )

    def export_state(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.KEPT} | {"webhook_key": self.webhooks.private_key_pem()}

    def import_state(self, state: dict[str, Any]) -> None:
        for name in self.KEPT:
            if name in state:  # a file saved before a name was kept leaves its start value
                setattr(self, name, state[name])
        self.organization = next(iter(self.organizations.values()))
        self.index = {line.id: line for store in (self.lines, self.pending) for ls in store.values() for line in ls}
        self.webhooks.use_private_key_pem(state["webhook_key"])

    def add_organizations(self, count: int) -> list[SandboxOrganization]:
        """More organizations, each with one EUR account and no history, for tests of many tenants."""
        added = []
        for _ in range(count):
            organization = generated_organization(len(self.organizations), self.now())
            self.organizations[organization.id] = organization
            self.payments_activated.add(organization.id)
            for account in organization.accounts:
                self.lines[account.id], self.pending[account.id], self.unsynced[account.id] = [], [], []
            added.append(organization)
        return added

    def share(self, account: Any, shared: bool) -> None:
        """Add an account to, or revoke it from, the integration (its history stays at the bank)."""
        accounts = self.organization.accounts
        if shared and account not in accounts:
            self.hidden.remove(account)
            accounts.append(account)
            self.webhooks.send(
                "pontoConnect.integration.accountAdded", {"account": account.id, "organization": self.organization.id}
            )
        elif not shared and account in accounts:
            accounts.remove(account)
            self.hidden.append(account)
            self.webhooks.send(
                "pontoConnect.integration.accountRevoked", {"account": account.id, "organization": self.organization.id}
            )

    def account(self, account_id: str, organization_id: str | None = None) -> Any:
        """The shared account with this id (in that organization only, when one is given)."""
        organizations = [self.organizations[organization_id]] if organization_id else self.organizations.values()
        return next((a for o in organizations for a in o.accounts if a.id == account_id), None)

    def organization_of(self, account_id: str) -> str:
        return next((o.id for o in self.organizations.values() if any(a.id == account_id for a in o.accounts)), "")

    def record_call(self, authorization: str, correlation: str | None) -> None:
        """When each run of calls (one sync, by the app's X-Correlation-Id) used an organization's token."""
        grant = self.access_tokens.get(authorization[7:].strip()) if correlation else None
        if grant is None or correlation is None:
            return
        now = self.now()
        self.runs.setdefault((grant.organization_id, correlation), [now, now])[1] = now

    def overlapping_runs(self) -> list[tuple[str, str, str]]:
        """Pairs of runs that used the same organization at the same time: (organization, run, run)."""
        by_organization: dict[str, list[tuple[datetime, datetime, str]]] = {}
        for (organization, run), (first, last) in self.runs.items():
            by_organization.setdefault(organization, []).append((first, last, run))
        overlaps = []
        for organization, runs in by_organization.items():
            runs.sort()
            for (_, last, run), (first, _, other) in zip(runs, runs[1:], strict=False):
                if first < last:
                    overlaps.append((organization, run, other))
        return overlaps

    # -- tokens ------------------------------------------------------------------------------------

    def issue_code(
        self, client_id: str, redirect_uri: str, challenge: str, scope: str, organization_id: str | None = None
    ) -> str:
        code = secrets.token_urlsafe(24)
        expires = self.now() + timedelta(minutes=5)
        organization = organization_id or self.organization.id
        self.codes[code] = Code(client_id, redirect_uri, challenge, scope, expires, organization)
        return code

    def issue_tokens(self, scope: str, organization_id: str) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = self.now() + timedelta(seconds=self.access_token_ttl)
        self.access_tokens[access] = Grant(organization_id, scope, expires)
        body: dict[str, Any] = {
            "access_token": access,
            "expires_in": self.access_token_ttl,
            "scope": scope,
            "token_type": "bearer",
        }
        if "offline_access" in scope.split():
            self.refresh_tokens[refresh] = Grant(organization_id, scope, None)
            body["refresh_token"] = refresh
        return body

    def grant_for(self, authorization: str) -> Grant | None:
        if not authorization.lower().startswith("bearer "):
            return None
        grant = self.access_tokens.get(authorization[7:].strip())
        if grant is None or (grant.expires_at is not None and grant.expires_at <= self.now()):
            return None
        return grant

    def expire_access_tokens(self) -> None:
        for grant in self.access_tokens.values():
            grant.expires_at = self.now() - timedelta(seconds=1)

    # -- bank lines ----------------------------------------------------------------------------------

    def _seed_history(self, rng: random.Random, now: datetime) -> None:
        for account, count in zip(self.organization.accounts, HISTORY, strict=False):
            for n in range(count):
                when = now - timedelta(days=45 * (count - n) / count)
                attributes = transaction_attributes(
                    rng, currency=account.currency, when=when, created=when, sequence=self._next()
                )
                self._book(account.id, attributes, adjust=False)

    def _next(self) -> int:
        self._sequence += 1
        return self._sequence

    def _book(self, account_id: str, attributes: dict[str, Any], *, adjust: bool = True) -> BankLine:
        line = BankLine(stable_id("transaction", account_id, self._sequence), account_id, attributes)
        self.lines[account_id].append(line)
        self.index[line.id] = line
        if adjust:
            account = self.account(account_id)
            account.current_balance += Decimal(attributes["amount"])
            account.available_balance += Decimal(attributes["amount"])
            account.synchronized_at = self.now().replace(microsecond=0)
        return line

    def add_transactions(
        self, account_id: str, *, given: list[dict[str, Any]] | None = None, count: int = 0, seed: int = 0
    ) -> list[BankLine]:
        """Lines arriving at the bank: listed at once, reported by the next synchronization."""
        account = self.account(account_id)
        rng = random.Random(seed)
        now = self.now()
        added = []
        for attributes in given or []:
            base = transaction_attributes(rng, currency=account.currency, when=now, created=now, sequence=self._next())
            if "amount" in attributes:  # the real API sends JSON numbers: keep the exact Decimal
                attributes = {**attributes, "amount": Decimal(str(attributes["amount"]))}
            added.append(self._book(account_id, {**base, **attributes, "createdAt": iso(now), "updatedAt": iso(now)}))
        for _ in range(count):
            attrs = transaction_attributes(rng, currency=account.currency, when=now, created=now, sequence=self._next())
            added.append(self._book(account_id, attrs))
        self.unsynced[account_id].extend(line.id for line in added)
        return added

    def clear_transactions(self) -> int:
        """Remove every booked and pending line; returns how many there were."""
        cleared = sum(len(lines) for store in (self.lines, self.pending) for lines in store.values())
        for store in (self.lines, self.pending, self.unsynced):
            for lines in store.values():
                lines.clear()
        self.index.clear()
        return cleared

    def update_transaction(self, line_id: str, attributes: dict[str, Any]) -> BankLine | None:
        """The bank corrects a line (a counterparty name filled in, say); the next sync reports it."""
        line = self.line(line_id)
        if line is None:
            return None
        line.attributes.update({k: v for k, v in attributes.items() if k not in ("amount", "currency")})
        line.attributes["updatedAt"] = iso(self.now())
        self.unsynced[line.account_id].append(line.id)
        return line

    def listed(self, account_id: str, *, pending: bool = False) -> list[BankLine]:
        """Newest first, as Ponto lists them."""
        source = self.pending if pending else self.lines
        return list(reversed(source[account_id]))

    # -- synchronizations ------------------------------------------------------------------------------

    def create_sync(self, account_id: str, subtype: str) -> Sync:
        """A failing bank gives a synchronization in `error` (lines stay unreported) and a `failed` webhook."""
        sync = Sync(str(uuid.uuid4()), account_id, subtype, self.now(), self.sync_duration)
        failure = self.sync_failures.get(account_id)
        if failure is not None:
            sync.errors = [dict(error) for error in failure.errors]
            if failure.count is not None:
                failure.count -= 1
                if failure.count <= 0:
                    del self.sync_failures[account_id]
            self.webhooks.send(
                "pontoConnect.synchronization.failed",
                {"account": account_id, "organization": self.organization_of(account_id), "synchronization": sync.id},
                synchronizationSubtype=subtype,
            )
        elif subtype in ("accountTransactions", "accountTransactionsWithUnsettled"):
            sync.updated, self.unsynced[account_id] = self.unsynced[account_id], []
        self.syncs[sync.id] = sync
        return sync

    def background_sync(self, account_id: str, event: str = "pontoConnect.account.transactionsCreated") -> None:
        """What Ponto does on its own when the bank has news: sync, then tell the app by webhook."""
        failing = account_id in self.sync_failures
        subtype = "accountDetails" if event == "pontoConnect.account.detailsUpdated" else "accountTransactions"
        if subtype == "accountTransactions" and not self.unsynced[account_id] and not failing:
            return
        sync = self.create_sync(account_id, subtype)
        sync.duration = timedelta(0)
        if failing:
            return  # create_sync sent synchronization.failed
        self.webhooks.send(
            event,
            {"account": account_id, "organization": self.organization_of(account_id), "synchronization": sync.id},
            **({} if subtype == "accountDetails" else {"count": len(sync.updated)}),
        )

    def line(self, line_id: str) -> BankLine | None:
        return self.index.get(line_id)
