"""Frozen value objects parsed from Ponto Connect bodies; pure functions, no I/O.

Unknown attributes are never dropped: every resource keeps its whole JSON object in `raw`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from .money import to_minor_units


def parse_datetime(value: Any) -> datetime | None:
    """Parse Ponto's ISO-8601 timestamps (0, 3 or 6 fractional digits, 'Z') as aware UTC."""
    if value in (None, ""):
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _minor(attributes: Mapping[str, Any], name: str, currency: str) -> int | None:
    value = attributes.get(name)
    if value is None:
        return None
    if isinstance(value, float):  # a body parsed without parse_float=Decimal
        raise TypeError(f"{name} was parsed as float; parse Ponto JSON with parse_float=Decimal")
    return to_minor_units(Decimal(value), currency)


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
            current_balance=_minor(attributes, "currentBalance", currency),
            available_balance=_minor(attributes, "availableBalance", currency),
            authorization_expires_at=parse_datetime(attributes.get("authorizationExpirationExpectedAt")),
            synchronized_at=parse_datetime(meta.get("synchronizedAt")),
            deprecated=bool(attributes.get("deprecated", False)),
            raw=obj,
        )
