"""Frozen value objects parsed from Ponto Connect bodies; pure functions, no I/O.

Unknown attributes are never dropped: every resource keeps its whole JSON object in `raw`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from money import from_minor_units, minor_units_and_exact, to_minor_units


def parse_datetime(value: Any) -> datetime | None:
    """Parse Ponto's ISO-8601 timestamps (0, 3 or 6 fractional digits, 'Z') as aware UTC."""
    if value in (None, ""):
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_date(value: Any) -> date | None:
    """A booking date: Ponto sends midnight UTC timestamps ('2022-09-23T00:00:00.000Z') or plain dates."""
    if value in (None, ""):
        return None
    text = str(value)
    if len(text) == 10:
        return date.fromisoformat(text)
    moment = parse_datetime(text)
    return moment.date() if moment else None


def _minor(attributes: Mapping[str, Any], name: str, currency: str) -> int | None:
    """An amount as integer minor units; Ponto sends JSON numbers, and strings in a few bodies."""
    value = attributes.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, float):  # a body parsed without parse_float=Decimal
        raise TypeError(f"{name} was parsed as float; parse Ponto JSON with parse_float=Decimal")
    return to_minor_units(Decimal(str(value)), currency)


def _rounded(attributes: Mapping[str, Any], name: str, currency: str) -> int | None:
    """Balances and fees are informative: rounded half-even when the bank sends more decimals than the
    currency has (a balance after an odd line), so one odd amount never stops reading an account."""
    value = attributes.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise TypeError(f"{name} was parsed as float; parse Ponto JSON with parse_float=Decimal")
    return minor_units_and_exact(Decimal(str(value)), currency)[0]


def _related_id(obj: Mapping[str, Any], name: str) -> str | None:
    data = ((obj.get("relationships") or {}).get(name) or {}).get("data") or {}
    return str(data["id"]) if data.get("id") else None


@dataclass(frozen=True)
class TokenSet:
    """An OAuth token response; `expires_at` is computed from `expires_in` at receipt."""

    access_token: str
    refresh_token: str | None
    expires_at: datetime
    scope: str = ""
    token_type: str = "bearer"

    @classmethod
    def from_response(cls, body: Mapping[str, Any], now: datetime) -> TokenSet:
        return cls(
            access_token=str(body["access_token"]),
            refresh_token=body.get("refresh_token"),
            expires_at=now + timedelta(seconds=int(body.get("expires_in", 0))),
            scope=str(body.get("scope") or ""),
            token_type=str(body.get("token_type") or "bearer"),
        )


@dataclass(frozen=True)
class UserInfo:
    """`GET /userinfo`: `sub` is the organization id."""

    organization_id: str
    name: str | None
    payments_activated: bool
    onboarding_complete: bool
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> UserInfo:
        return cls(
            organization_id=str(body["sub"]),
            name=body.get("name"),
            payments_activated=bool(body.get("paymentsActivated", False)),
            onboarding_complete=bool(body.get("onboardingComplete", False)),
            raw=body,
        )


@dataclass(frozen=True)
class Account:
    """A bank account linked to the integration (`type: account`)."""

    id: str
    reference: str
    reference_type: str
    currency: str
    description: str | None
    product: str | None
    holder_name: str | None
    subtype: str | None
    current_balance: int | None
    available_balance: int | None
    authorization_expires_at: datetime | None
    synchronized_at: datetime | None
    deprecated: bool
    raw: Mapping[str, Any] = field(repr=False)
    financial_institution_id: str | None = None
    availability: str = "available"  # meta.availability: `readonly` while the bank is under maintenance

    @property
    def name(self) -> str:
        """What people call this account: its description, else product, else holder."""
        return self.description or self.product or self.holder_name or self.reference

    @classmethod
    def from_jsonapi(cls, obj: Mapping[str, Any]) -> Account:
        attributes = obj.get("attributes") or {}
        currency = str(attributes.get("currency") or "EUR")
        meta = obj.get("meta") or {}
        return cls(
            id=str(obj["id"]),
            reference=str(attributes.get("reference") or ""),
            reference_type=str(attributes.get("referenceType") or ""),
            currency=currency,
            description=attributes.get("description"),
            product=attributes.get("product"),
            holder_name=attributes.get("holderName"),
            subtype=attributes.get("subtype"),
            current_balance=_rounded(attributes, "currentBalance", currency),
            available_balance=_rounded(attributes, "availableBalance", currency),
            authorization_expires_at=parse_datetime(attributes.get("authorizationExpirationExpectedAt")),
            synchronized_at=parse_datetime(meta.get("synchronizedAt")),
            deprecated=bool(attributes.get("deprecated", False)),
            raw=obj,
            financial_institution_id=_related_id(obj, "financialInstitution"),
            availability=str(meta.get("availability") or "available"),
        )


@dataclass(frozen=True)
class FinancialInstitution:
    """The bank behind an account; what it lets an integration initiate (§4.6). Absent flags count as no."""

    id: str
    name: str
    payments_enabled: bool
    bulk_payments_enabled: bool
    future_dated_payments_allowed: bool
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_jsonapi(cls, obj: Mapping[str, Any]) -> FinancialInstitution:
        attributes = obj.get("attributes") or {}
        return cls(
            id=str(obj["id"]),
            name=str(attributes.get("name") or ""),
            payments_enabled=attributes.get("paymentsEnabled") is True,
            bulk_payments_enabled=attributes.get("bulkPaymentsEnabled") is True,
            future_dated_payments_allowed=attributes.get("futureDatedPaymentsAllowed") is True,
            raw=obj,
        )


@dataclass(frozen=True)
class Transaction:
    """A booked `transaction` or a provisional `pendingTransaction` (different ids, kept apart)."""

    id: str
    pending: bool
    account_id: str | None
    amount: int
    currency: str
    value_date: date | None
    execution_date: date | None
    counterpart_name: str | None
    counterpart_reference: str | None
    remittance_information: str | None
    remittance_information_type: str | None
    description: str | None
    end_to_end_id: str | None
    bank_transaction_code: str | None
    fee: int | None
    created_at: datetime | None
    updated_at: datetime | None
    raw: Mapping[str, Any] = field(repr=False)
    amount_exact: str | None = None  # set when the bank sent more decimals than the currency has

    @classmethod
    def from_jsonapi(cls, obj: Mapping[str, Any]) -> Transaction:
        attributes = obj.get("attributes") or {}
        currency = str(attributes.get("currency") or "EUR")
        raw_amount = attributes.get("amount")
        if raw_amount is None or raw_amount == "":
            raise ValueError(f"transaction {obj.get('id')} has no amount")
        if isinstance(raw_amount, float):
            raise TypeError("amount was parsed as float; parse Ponto JSON with parse_float=Decimal")
        amount, amount_exact = minor_units_and_exact(Decimal(str(raw_amount)), currency)
        return cls(
            id=str(obj["id"]),
            pending=obj.get("type") == "pendingTransaction",
            account_id=_related_id(obj, "account"),
            amount=amount,
            currency=currency,
            value_date=parse_date(attributes.get("valueDate")),
            execution_date=parse_date(attributes.get("executionDate")),
            counterpart_name=attributes.get("counterpartName"),
            counterpart_reference=attributes.get("counterpartReference"),
            remittance_information=attributes.get("remittanceInformation"),
            remittance_information_type=attributes.get("remittanceInformationType"),
            description=attributes.get("description"),
            end_to_end_id=attributes.get("endToEndId"),
            bank_transaction_code=attributes.get("bankTransactionCode"),
            fee=_rounded(attributes, "fee", currency),
            created_at=parse_datetime(attributes.get("createdAt")),
            updated_at=parse_datetime(attributes.get("updatedAt")),
            raw=obj,
            amount_exact=amount_exact,
        )


SYNC_DONE = frozenset({"success", "error"})


@dataclass(frozen=True)
class Synchronization:
    """`pending` -> `running` -> `success` | `error`; `errors` are JSON:API error items."""

    id: str
    status: str
    subtype: str
    resource_id: str | None
    errors: list[Mapping[str, Any]]
    created_at: datetime | None
    updated_at: datetime | None
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def done(self) -> bool:
        return self.status in SYNC_DONE

    @property
    def error_codes(self) -> list[str]:
        return [str(e.get("code")) for e in self.errors if e.get("code")]

    @classmethod
    def from_jsonapi(cls, obj: Mapping[str, Any]) -> Synchronization:
        attributes = obj.get("attributes") or {}
        return cls(
            id=str(obj["id"]),
            status=str(attributes.get("status") or ""),
            subtype=str(attributes.get("subtype") or ""),
            resource_id=attributes.get("resourceId"),
            errors=list(attributes.get("errors") or []),
            created_at=parse_datetime(attributes.get("createdAt")),
            updated_at=parse_datetime(attributes.get("updatedAt")),
            raw=obj,
        )


@dataclass(frozen=True)
class Payment:
    """A payment initiation; the person signs it at `redirect` (absent once signed)."""

    id: str
    status: str
    amount: int
    currency: str
    creditor_name: str | None
    creditor_iban: str | None
    remittance_information: str | None
    end_to_end_id: str | None
    redirect: str | None
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_jsonapi(cls, obj: Mapping[str, Any]) -> Payment:
        attributes = obj.get("attributes") or {}
        currency = str(attributes.get("currency") or "EUR")
        return cls(
            id=str(obj["id"]),
            status=str(attributes.get("status") or ""),
            amount=_minor(attributes, "amount", currency) or 0,
            currency=currency,
            creditor_name=attributes.get("creditorName"),
            creditor_iban=attributes.get("creditorAccountReference"),
            remittance_information=attributes.get("remittanceInformation"),
            end_to_end_id=attributes.get("endToEndId"),
            redirect=(obj.get("links") or {}).get("redirect"),
            raw=obj,
        )


@dataclass(frozen=True)
class BulkPayment:
    """Several payments signed at once; `redirect` while unsigned."""

    id: str
    status: str
    reference: str | None
    redirect: str | None
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_jsonapi(cls, obj: Mapping[str, Any]) -> BulkPayment:
        attributes = obj.get("attributes") or {}
        return cls(
            id=str(obj["id"]),
            status=str(attributes.get("status") or ""),
            reference=attributes.get("reference"),
            redirect=(obj.get("links") or {}).get("redirect"),
            raw=obj,
        )


@dataclass(frozen=True)
class NewPayment:
    """What to pay; amounts in minor units. Ponto's limits: name 60 and remittance 140 characters."""

    amount: int
    currency: str
    creditor_name: str
    creditor_iban: str
    remittance_information: str | None = None
    remittance_information_type: str = "unstructured"
    end_to_end_id: str | None = None
    requested_execution_date: date | None = None
    redirect_uri: str | None = None
    creditor_bic: str | None = None

    def as_attributes(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "amount": from_minor_units(self.amount, self.currency),
            "currency": self.currency,
            "creditorName": self.creditor_name,
            "creditorAccountReference": self.creditor_iban,
            "creditorAccountReferenceType": "IBAN",
        }
        if self.creditor_bic:
            attributes["creditorAgent"] = self.creditor_bic
            attributes["creditorAgentType"] = "BIC"
        if self.remittance_information:
            attributes["remittanceInformation"] = self.remittance_information
            attributes["remittanceInformationType"] = self.remittance_information_type
        if self.end_to_end_id:
            attributes["endToEndId"] = self.end_to_end_id
        if self.requested_execution_date:
            attributes["requestedExecutionDate"] = self.requested_execution_date.isoformat()
        if self.redirect_uri:
            attributes["redirectUri"] = self.redirect_uri
        return attributes


@dataclass(frozen=True)
class NewBulkPayment:
    """Several payments from one account (EUR only, §4.8); `reference` is shown in Ponto's dashboard."""

    reference: str
    payments: tuple[NewPayment, ...]
    requested_execution_date: date | None = None
    redirect_uri: str | None = None

    def as_attributes(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "reference": self.reference,
            "payments": [p.as_attributes() for p in self.payments],
            "batchBookingPreferred": False,
        }
        if self.requested_execution_date:
            attributes["requestedExecutionDate"] = self.requested_execution_date.isoformat()
        if self.redirect_uri:
            attributes["redirectUri"] = self.redirect_uri
        return attributes


@dataclass(frozen=True)
class Resource:
    """Any other JSON:API resource (financial institutions, bulk payments, usage ...), kept whole."""

    id: str
    type: str
    attributes: Mapping[str, Any]
    links: Mapping[str, Any]
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_jsonapi(cls, obj: Mapping[str, Any]) -> Resource:
        return cls(str(obj["id"]), str(obj["type"]), obj.get("attributes") or {}, obj.get("links") or {}, obj)


PARSERS: dict[str, Any] = {
    "account": Account.from_jsonapi,
    "transaction": Transaction.from_jsonapi,
    "pendingTransaction": Transaction.from_jsonapi,
    "synchronization": Synchronization.from_jsonapi,
    "payment": Payment.from_jsonapi,
    "bulkPayment": BulkPayment.from_jsonapi,
    "financialInstitution": FinancialInstitution.from_jsonapi,
}


def parse_resource(obj: Mapping[str, Any]) -> Any:
    """The typed value for a resource object, or a generic Resource for the other types."""
    return PARSERS.get(str(obj.get("type")), Resource.from_jsonapi)(obj)
