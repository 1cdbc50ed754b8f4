"""Ponto webhooks: signature verification (pure) and event parsing (pure), plus a JWKS cache.

The `Signature` header is a JWT signed RS512 by a key from the JWKS; its claims carry `aud`
(the application id), `iss`, `iat`, `exp`, `jti` and `digest`, the Base64 SHA-512 of the raw body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import jwt
from jwt.algorithms import RSAAlgorithm

from .errors import PontoError
from .models import parse_datetime

ISSUER = "https://api.ibanity.com"
TOLERANCE_SECONDS = 30
EVENT_TYPES = frozenset(
    {
        "pontoConnect.synchronization.succeededWithoutChange",
        "pontoConnect.synchronization.failed",
        "pontoConnect.account.detailsUpdated",
        "pontoConnect.account.transactionsCreated",
        "pontoConnect.account.transactionsUpdated",
        "pontoConnect.account.pendingTransactionsCreated",
        "pontoConnect.account.pendingTransactionsUpdated",
        "pontoConnect.account.reauthorized",
        "pontoConnect.integration.created",
        "pontoConnect.integration.revoked",
        "pontoConnect.integration.accountAdded",
        "pontoConnect.integration.accountRevoked",
        "pontoConnect.organization.blocked",
        "pontoConnect.organization.unblocked",
        "pontoConnect.paymentRequest.closed",
    }
)


class WebhookError(PontoError):
    """A webhook that must not be trusted; `reason` is short and safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownSigningKey(WebhookError):
    """The token names a key id that is not in the JWKS (fetch the keys again, once)."""

    def __init__(self, kid: str | None) -> None:
        super().__init__(f"unknown signing key {kid!r}")
        self.kid = kid


def body_digest(body: bytes) -> str:
    return base64.b64encode(hashlib.sha512(body).digest()).decode("ascii")


def _public_key(jwk: Mapping[str, Any]) -> Any:
    """PyJWT reads n and e with or without base64 padding (tested): no cleaning needed."""
    return RSAAlgorithm.from_jwk(json.dumps(dict(jwk)))


def signing_keys(jwks: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Active signature keys by kid."""
    return {
        str(key["kid"]): key
        for key in jwks.get("keys", [])
        if key.get("use", "sig") == "sig" and key.get("status", "ACTIVE") == "ACTIVE" and key.get("kid")
    }


def verify(
    body: bytes,
    signature: str,
    jwks: Mapping[str, Any],
    *,
    audience: str,
    now: float,
    issuer: str = ISSUER,
    tolerance: int = TOLERANCE_SECONDS,
) -> dict[str, Any]:
    """Return the claims of a valid signature, or raise WebhookError saying what is wrong."""
    try:
        header = jwt.get_unverified_header(signature)
    except jwt.PyJWTError as exc:
        raise WebhookError("the Signature header is not a JWT") from exc
    if header.get("alg") != "RS512":
        raise WebhookError(f"algorithm {header.get('alg')!r} is not RS512")
    jwk = signing_keys(jwks).get(str(header.get("kid")))
    if jwk is None:
        raise UnknownSigningKey(header.get("kid"))
    try:
        claims = jwt.decode(
            signature,
            _public_key(jwk),
            algorithms=["RS512"],
            audience=audience,
            issuer=issuer,
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "require": ["aud", "iss", "iat", "exp", "digest"],
            },
        )
    except jwt.InvalidAudienceError as exc:
        raise WebhookError("the token is for another audience") from exc
    except jwt.InvalidIssuerError as exc:
        raise WebhookError("the token has another issuer") from exc
    except jwt.PyJWTError as exc:
        raise WebhookError(f"invalid token: {exc}") from exc
    if float(claims["exp"]) < now - tolerance:
        raise WebhookError("the token has expired")
    if float(claims["iat"]) > now + tolerance:
        raise WebhookError("the token is issued in the future")
    if not hmac.compare_digest(str(claims["digest"]), body_digest(body)):
        raise WebhookError("the body does not match the signed digest")
    return claims


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    created_at: datetime | None
    organization_id: str | None
    account_id: str | None
    synchronization_id: str | None
    count: int | None
    synchronization_subtype: str | None
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def known(self) -> bool:
        return self.type in EVENT_TYPES


def _rel(data: Mapping[str, Any], name: str) -> str | None:
    ref = ((data.get("relationships") or {}).get(name) or {}).get("data") or {}
    return str(ref["id"]) if ref.get("id") else None


def parse_event(body: bytes) -> WebhookEvent:
    """Any event type parses; unknown types are kept (`known` is False) rather than refused."""
    try:
        data = json.loads(body)["data"]
        attributes = data.get("attributes") or {}
        count = attributes.get("count")
        return WebhookEvent(
            id=str(data["id"]),
            type=str(data["type"]),
            created_at=parse_datetime(attributes.get("createdAt")),
            organization_id=_rel(data, "organization"),
            account_id=_rel(data, "account"),
            synchronization_id=_rel(data, "synchronization"),
            count=int(count) if count is not None else None,
            synchronization_subtype=attributes.get("synchronizationSubtype"),
            raw=data,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise WebhookError("the body is not a Ponto webhook event") from exc


class KeyCache:
    """The JWKS, cached for `ttl` seconds and fetched again on an unknown kid (at most every `cooldown`)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        *,
        ttl: float = 3600,
        cooldown: float = 30,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._url = url
        self._ttl = ttl
        self._cooldown = cooldown
        self._clock = clock
        self._jwks: Mapping[str, Any] | None = None
        self._fetched_at = float("-inf")

    async def keys(self, *, kid: str | None = None) -> Mapping[str, Any]:
        age = self._clock() - self._fetched_at
        stale = self._jwks is None or age > self._ttl
        missing = kid is not None and self._jwks is not None and kid not in signing_keys(self._jwks)
        if stale or (missing and age >= self._cooldown):
            await self._fetch()
        assert self._jwks is not None
        return self._jwks

    async def _fetch(self) -> None:
        try:
            response = await self._http.get(self._url, headers={"Accept": "application/json"})
            response.raise_for_status()
            jwks = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            if self._jwks is None:
                raise WebhookError(f"the webhook keys could not be fetched: {exc}") from exc
            return  # keep the keys we have
        self._jwks, self._fetched_at = jwks, self._clock()


async def verify_with_cache(
    body: bytes, signature: str, cache: KeyCache, *, audience: str, now: float
) -> dict[str, Any]:
    """verify(), fetching the keys again once when the token names a key we do not have."""
    try:
        return verify(body, signature, await cache.keys(), audience=audience, now=now)
    except UnknownSigningKey as exc:
        return verify(body, signature, await cache.keys(kid=exc.kid), audience=audience, now=now)
