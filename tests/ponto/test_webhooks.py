"""The real signed sandbox webhook verifies; every alteration is refused for the right reason."""

from __future__ import annotations

import json
import time

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from ponto.webhooks import (
    EVENT_TYPES,
    KeyCache,
    UnknownSigningKey,
    WebhookError,
    body_digest,
    parse_event,
    verify,
    verify_with_cache,
)
from tests.conftest import SHARED_FIXTURES

HOOKS = SHARED_FIXTURES / "ponto-connect" / "webhooks"
BODY = (HOOKS / "example_payload.json").read_bytes()
SIGNATURE = (HOOKS / "example_signature.sig").read_text().strip()
JWKS = json.loads((HOOKS / "jwks.json").read_text())
AUDIENCE = "e643b5be-ccb1-4a38-b7b6-36689853bef5"
IAT, EXP = 1691670925, 1691670985


def test_the_real_webhook_verifies_at_its_own_time() -> None:
    claims = verify(BODY, SIGNATURE, JWKS, audience=AUDIENCE, now=IAT + 5)
    assert claims["jti"] == "1c293d56-995b-4489-9a83-013e86e98646"
    assert claims["digest"] == body_digest(BODY)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"body": BODY.replace(b"accountTransactions", b"accountDetails")},
            "the body does not match the signed digest",
        ),
        ({"body": BODY + b"\n"}, "the body does not match the signed digest"),
        ({"audience": "another-application"}, "the token is for another audience"),
        ({"issuer": "https://evil.example"}, "the token has another issuer"),
        ({"now": EXP + 31}, "the token has expired"),
        ({"now": IAT - 31}, "the token is issued in the future"),
        ({"signature": SIGNATURE[:-4] + "AAAA"}, "invalid token: Signature verification failed"),
        ({"signature": "not.a.jwt"}, "the Signature header is not a JWT"),
    ],
)
def test_alterations_are_refused(change: dict, reason: str) -> None:
    """Each refusal says exactly why: the reason is what the server logs and answers."""
    kwargs = {"audience": AUDIENCE, "now": IAT + 5} | {
        k: v for k, v in change.items() if k in ("audience", "now", "issuer")
    }
    with pytest.raises(WebhookError) as refused:
        verify(change.get("body", BODY), change.get("signature", SIGNATURE), JWKS, **kwargs)
    assert refused.value.reason == str(refused.value) == reason


def test_a_token_without_a_required_claim_is_refused() -> None:
    """A well-signed token that lacks the digest (or any of aud, iss, iat, exp) is not a Ponto webhook."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwks = {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS512", "status": "ACTIVE"}]}
    claims = {"aud": AUDIENCE, "iss": "https://api.ibanity.com", "iat": IAT, "exp": EXP, "digest": body_digest(BODY)}
    for missing in ("digest", "aud", "iss", "iat", "exp"):
        token = jwt.encode({k: v for k, v in claims.items() if k != missing}, key, "RS512", headers={"kid": "k1"})
        with pytest.raises(WebhookError) as refused:
            verify(BODY, token, jwks, audience=AUDIENCE, now=IAT + 5)
        assert f'Token is missing the "{missing}" claim' in refused.value.reason, missing


def test_tolerance_is_thirty_seconds() -> None:
    verify(BODY, SIGNATURE, JWKS, audience=AUDIENCE, now=EXP + 30)
    verify(BODY, SIGNATURE, JWKS, audience=AUDIENCE, now=IAT - 30)


def test_an_unknown_key_is_refused_with_its_kid() -> None:
    other = {"keys": [{**JWKS["keys"][0], "kid": "another"}]}
    with pytest.raises(UnknownSigningKey) as caught:
        verify(BODY, SIGNATURE, other, audience=AUDIENCE, now=IAT)
    assert caught.value.kid == "sandbox_events_signature_1"
    inactive = {"keys": [{**JWKS["keys"][0], "status": "INACTIVE"}]}
    with pytest.raises(UnknownSigningKey):
        verify(BODY, SIGNATURE, inactive, audience=AUDIENCE, now=IAT)


def test_a_token_signed_by_another_key_with_the_same_kid_is_refused() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {"aud": AUDIENCE, "iss": "https://api.ibanity.com", "iat": IAT, "exp": EXP, "digest": body_digest(BODY)}
    forged = jwt.encode(claims, key, algorithm="RS512", headers={"kid": "sandbox_events_signature_1"})
    with pytest.raises(WebhookError, match="invalid token"):
        verify(BODY, forged, JWKS, audience=AUDIENCE, now=IAT)


def test_hs256_with_the_public_key_as_secret_is_refused() -> None:
    forged = jwt.encode({"aud": AUDIENCE}, "s" * 64, algorithm="HS256", headers={"kid": "sandbox_events_signature_1"})
    with pytest.raises(WebhookError, match="not RS512"):
        verify(BODY, forged, JWKS, audience=AUDIENCE, now=IAT)


def test_every_event_type_parses() -> None:
    event = parse_event(BODY)
    assert event.type == "pontoConnect.synchronization.succeededWithoutChange" and event.known
    data = json.loads(BODY)["data"]
    assert (event.id, event.raw, event.synchronization_subtype) == (
        data["id"],
        data,
        data["attributes"]["synchronizationSubtype"],
    )
    assert event.created_at is not None and event.created_at.isoformat().startswith(
        data["attributes"]["createdAt"][:19]
    )
    assert (event.account_id, event.synchronization_id) == (
        "1d89d411-e310-4802-bbb7-aad7d98371e7",
        "178b59a6-679f-43d4-b5ad-28caea0bc08b",
    )
    assert parse_event((HOOKS / "synchronizationSucceededWithoutChange.json").read_bytes()).organization_id
    for event_type in EVENT_TYPES:
        organization = {"organization": {"data": {"id": "o1", "type": "organization"}}}
        attributes = {"createdAt": "2026-11-25T10:00:00Z", "count": 3}
        body = {"data": {"id": "e1", "type": event_type, "attributes": attributes, "relationships": organization}}
        parsed = parse_event(json.dumps(body).encode())
        assert parsed.type == event_type and parsed.count == 3 and parsed.organization_id == "o1"
    assert not parse_event(json.dumps({"data": {"id": "x", "type": "pontoConnect.newThing"}}).encode()).known
    with pytest.raises(WebhookError) as refused:
        parse_event(b"{not json")
    assert refused.value.reason == "the body is not a Ponto webhook event"


@respx.mock
async def test_key_cache_fetches_again_on_an_unknown_kid_only() -> None:
    url = "https://keys.example/webhooks/keys"
    old = {"keys": [{**JWKS["keys"][0], "kid": "old"}]}
    route = respx.get(url).mock(side_effect=[httpx.Response(200, json=old), httpx.Response(200, json=JWKS)])
    clock = [1000.0]
    cache = KeyCache(httpx.AsyncClient(), url, cooldown=0, clock=lambda: clock[0])
    claims = await verify_with_cache(BODY, SIGNATURE, cache, audience=AUDIENCE, now=IAT)
    assert claims["iss"] == "https://api.ibanity.com" and route.call_count == 2
    await verify_with_cache(BODY, SIGNATURE, cache, audience=AUDIENCE, now=IAT)
    assert route.call_count == 2  # cached


@respx.mock
async def test_key_cache_fetches_again_after_its_ttl_and_keeps_its_keys_when_a_fetch_fails() -> None:
    url = "https://keys.example/webhooks/keys"
    route = respx.get(url).mock(
        side_effect=[httpx.Response(200, json=JWKS), httpx.Response(503), httpx.Response(200, json=JWKS)]
    )
    clock = [1000.0]
    cache = KeyCache(httpx.AsyncClient(), url, ttl=3600, cooldown=30, clock=lambda: clock[0])
    assert await cache.keys() == JWKS and route.call_count == 1
    assert route.calls[0].request.headers["Accept"] == "application/json"
    clock[0] += 3600
    await cache.keys()
    assert route.call_count == 1  # exactly the ttl old: still good
    clock[0] += 1
    assert await cache.keys() == JWKS and route.call_count == 2  # stale; the fetch failed: the old keys serve
    await cache.keys()
    assert route.call_count == 3  # still stale: the next call tries again, and now gets them
    clock[0] += 10
    await cache.keys(kid="unknown")
    assert route.call_count == 3  # an unknown kid waits out the cooldown after a fetch


@respx.mock
async def test_key_cache_without_keys_says_the_keys_could_not_be_fetched() -> None:
    url = "https://keys.example/webhooks/keys"
    respx.get(url).mock(return_value=httpx.Response(503))
    with pytest.raises(WebhookError) as refused:
        await KeyCache(httpx.AsyncClient(), url).keys()
    assert refused.value.reason.startswith("the webhook keys could not be fetched: ")


def test_the_fixture_key_is_a_real_rsa_key() -> None:
    key = RSAAlgorithm.from_jwk(json.dumps({**JWKS["keys"][0], "n": JWKS["keys"][0]["n"].rstrip("=")}))
    assert key.key_size >= 2048
    assert time.time() > EXP  # the fixture is old: tests must pin `now`, which they do


def _with_key(**changes: object) -> dict:
    """The fixture's key set with its key changed (None removes an attribute)."""
    (key,) = JWKS["keys"]
    changed = {k: v for k, v in {**key, **changes}.items() if v is not None}
    return {"keys": [changed]}


def test_padded_base64_in_a_published_key_is_tolerated() -> None:
    (key,) = JWKS["keys"]
    padded = _with_key(n=key["n"] + "=" * (-len(key["n"]) % 4 or 2), e=key["e"] + "==")
    assert verify(BODY, SIGNATURE, padded, audience=AUDIENCE, now=IAT + 5)["jti"]


def test_a_key_without_use_or_status_counts_as_an_active_signing_key() -> None:
    assert verify(BODY, SIGNATURE, _with_key(use=None, status=None), audience=AUDIENCE, now=IAT + 5)["jti"]


@pytest.mark.parametrize("changes", [{"status": "INACTIVE"}, {"use": "enc"}, {"kid": None}])
def test_an_inactive_or_non_signing_key_is_never_used(changes: dict) -> None:
    with pytest.raises(UnknownSigningKey):
        verify(BODY, SIGNATURE, _with_key(**changes), audience=AUDIENCE, now=IAT + 5)
