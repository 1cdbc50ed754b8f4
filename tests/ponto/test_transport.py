"""Failure modes of the Ponto API: retries, Retry-After, idempotency, token refresh and rotation."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ponto import (
    MemoryTokenStore,
    NewPayment,
    OAuthClientConfig,
    PontoClient,
    PontoOAuth,
    PontoResponseError,
    PontoServerError,
    ReconnectRequired,
    RequestSigner,
    RetryPolicy,
    TokenManager,
    TokenSet,
    signed_client,
)
from tests.conftest import fixture_bytes

API = "https://api.example.test/ponto-connect"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
USERINFO = fixture_bytes("ponto-connect/userinfo.json")


class Sleeps:
    """Records the delays instead of waiting them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def client_with(sleeps: Sleeps, **kwargs) -> PontoClient:
    return PontoClient(httpx.AsyncClient(), api_url=API, sleep=sleeps, **({"access_token": "t"} | kwargs))


@respx.mock
async def test_429_waits_for_retry_after_then_succeeds() -> None:
    sleeps = Sleeps()
    respx.get(f"{API}/userinfo").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}, json={"errors": [{"code": "tooManyRequests"}]}),
            httpx.Response(200, content=USERINFO),
        ]
    )
    info = await client_with(sleeps).userinfo()
    assert info.name == "New documentation" and sleeps.delays == [7.0]


@respx.mock
async def test_a_burst_of_500s_is_retried_with_growing_bounded_delays() -> None:
    sleeps = Sleeps()
    respx.get(f"{API}/userinfo").mock(side_effect=[httpx.Response(500)] * 3 + [httpx.Response(200, content=USERINFO)])
    await client_with(sleeps).userinfo()
    assert len(sleeps.delays) == 3 and all(0 <= d <= 30 for d in sleeps.delays)


@respx.mock
async def test_retries_are_bounded() -> None:
    sleeps = Sleeps()
    route = respx.get(f"{API}/userinfo").respond(503)
    with pytest.raises(PontoServerError):
        await client_with(sleeps, retry=RetryPolicy(attempts=4)).userinfo()
    assert route.call_count == 4 and len(sleeps.delays) == 3


@respx.mock
async def test_timeouts_and_truncated_bodies_are_retried_on_get() -> None:
    sleeps = Sleeps()
    respx.get(f"{API}/userinfo").mock(
        side_effect=[
            httpx.ReadTimeout("slow"),
            httpx.Response(200, content=USERINFO[:40]),
            httpx.Response(200, content=USERINFO),
        ]
    )
    assert (await client_with(sleeps).userinfo()).organization_id
    assert len(sleeps.delays) == 2


@respx.mock
async def test_a_retried_post_keeps_one_idempotency_key() -> None:
    sleeps = Sleeps()
    created = fixture_bytes("ponto-connect/payment_create.json")
    route = respx.post(f"{API}/accounts/a1/payments").mock(
        side_effect=[httpx.ConnectTimeout("x"), httpx.Response(502), httpx.Response(201, content=created)]
    )
    payment = await client_with(sleeps).create_payment(
        "a1", NewPayment(amount=12345, currency="EUR", creditor_name="Acme", creditor_iban="BE68539007547034")
    )
    keys = {call.request.headers["ibanity-idempotency-key"] for call in route.calls}
    assert len(route.calls) == 3 and len(keys) == 1
    sent = json.loads(route.calls.last.request.content)["data"]["attributes"]
    assert b'"amount": 123.45' in route.calls.last.request.content and sent["creditorAccountReferenceType"] == "IBAN"
    assert payment.status == "pending"


@respx.mock
async def test_a_truncated_post_answer_is_not_retried() -> None:
    route = respx.post(f"{API}/synchronizations").respond(201, content=b'{"data": {"ty')
    with pytest.raises(PontoResponseError):
        await client_with(Sleeps()).create_synchronization("a1", "accountTransactions")
    assert route.call_count == 1


def _tokens(access: str, refresh: str, expires_in: int = 1800) -> TokenSet:
    return TokenSet(access, refresh, NOW + timedelta(seconds=expires_in), "ai")


def _token_response(access: str, refresh: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": 1799,
            "scope": "ai",
            "token_type": "bearer",
        },
    )


def _manager(store: MemoryTokenStore, key: str) -> TokenManager:
    oauth = PontoOAuth(httpx.AsyncClient(), OAuthClientConfig(API, "c", "s"), clock=lambda: NOW)
    return TokenManager(oauth, store, key=key, clock=lambda: NOW)


@respx.mock
async def test_an_expired_access_token_is_refreshed_once_and_the_pair_stored_before_use() -> None:
    store = MemoryTokenStore(_tokens("old-access", "refresh-1"))
    token_route = respx.post(f"{API}/oauth2/token").mock(return_value=_token_response("new-access", "refresh-2"))
    seen: list[tuple[str, int]] = []

    def userinfo(request: httpx.Request) -> httpx.Response:
        seen.append((request.headers["authorization"], len(store.saved)))
        if request.headers["authorization"] == "Bearer old-access":
            return httpx.Response(401, json={"errors": [{"code": "invalidAccessToken"}]})
        return httpx.Response(200, content=USERINFO)

    respx.get(f"{API}/userinfo").mock(side_effect=userinfo)
    client = PontoClient(httpx.AsyncClient(), api_url=API, tokens=_manager(store, "org-401"))
    await client.userinfo()
    assert seen == [("Bearer old-access", 0), ("Bearer new-access", 1)]  # stored before it was used
    assert token_route.call_count == 1
    assert parse_qs(token_route.calls.last.request.content.decode())["refresh_token"] == ["refresh-1"]
    assert store.tokens.refresh_token == "refresh-2"


@respx.mock
async def test_tokens_refresh_ahead_of_expiry_and_rotation_is_followed() -> None:
    store = MemoryTokenStore(_tokens("a1", "r1", expires_in=30))  # within the 60 s margin
    token_route = respx.post(f"{API}/oauth2/token").mock(
        side_effect=[_token_response("a2", "r2"), _token_response("a3", "r3")]
    )
    manager = _manager(store, "org-ahead")
    assert await manager.access_token() == "a2"
    assert await manager.refresh("a2") == "a3"  # e.g. after a 401 on a2
    sent = [parse_qs(c.request.content.decode())["refresh_token"][0] for c in token_route.calls]
    assert sent == ["r1", "r2"]  # each refresh token spent once, the rotated one next


@respx.mock
async def test_two_concurrent_refreshes_spend_the_refresh_token_once() -> None:
    store = MemoryTokenStore(_tokens("a1", "r1", expires_in=0))

    async def slow_token(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)
        return _token_response("a2", "r2")

    token_route = respx.post(f"{API}/oauth2/token").mock(side_effect=slow_token)
    first, second = _manager(store, "org-race"), _manager(store, "org-race")
    results = await asyncio.gather(first.access_token(), second.access_token(), first.refresh("a1"))
    assert results == ["a2", "a2", "a2"] and token_route.call_count == 1


@respx.mock
async def test_a_spent_refresh_token_means_reconnect() -> None:
    store = MemoryTokenStore(_tokens("a1", "r1", expires_in=0))
    respx.post(f"{API}/oauth2/token").respond(400, json={"error": "invalid_grant"})
    with pytest.raises(ReconnectRequired):
        await _manager(store, "org-gone").access_token()
    assert store.saved == []


@respx.mock
async def test_signed_requests_carry_a_verifiable_signature() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pass")
    )
    signer = RequestSigner(pem, "cert-42", passphrase="pass", clock=lambda: 1700000000.0)
    route = respx.post(f"{API}/synchronizations").respond(
        201, content=fixture_bytes("ponto-connect/synchronization.json")
    )
    http = signed_client(signer)
    await PontoClient(http, api_url=API, access_token="t", sleep=Sleeps()).create_synchronization(
        "acc-1", "accountDetails", customer_ip="1.2.3.4"
    )
    request = route.calls.last.request
    assert request.headers["digest"] == "SHA-512=" + base64.b64encode(hashlib.sha512(request.content).digest()).decode()
    params = dict(part.split("=", 1) for part in request.headers["signature"].split(","))
    assert params["keyId"] == '"cert-42"' and params["created"] == "1700000000" and params["algorithm"] == '"hs2019"'
    names = params["headers"].strip('"').split()
    assert names == ["(request-target)", "host", "digest", "(created)", "authorization", "ibanity-idempotency-key"]
    text = "\n".join(
        [
            "(request-target): post /ponto-connect/synchronizations",
            "host: api.example.test",
            f"digest: {request.headers['digest']}",
            "(created): 1700000000",
            "authorization: Bearer t",
            f"ibanity-idempotency-key: {request.headers['ibanity-idempotency-key']}",
        ]
    )
    signature = base64.b64decode(params["signature"].strip('"'))
    key.public_key().verify(
        signature, text.encode(), padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256()
    )  # raises if the signature does not cover exactly these lines


@respx.mock
async def test_token_and_revoke_calls_are_signed_too() -> None:
    """The OAuth client shares the signing httpx client: no Ponto call leaves unsigned."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    http = signed_client(RequestSigner(pem, "cert-7"))
    token = respx.post(f"{API}/oauth2/token").respond(
        200, json={"access_token": "a", "refresh_token": "r", "expires_in": 1799, "scope": "ai", "token_type": "bearer"}
    )
    revoke = respx.post(f"{API}/oauth2/revoke").respond(200)
    oauth = PontoOAuth(http, OAuthClientConfig(API, "client", "secret"))
    await oauth.refresh("r0")
    await oauth.revoke("a")
    for route in (token, revoke):
        request = route.calls.last.request
        params = dict(part.split("=", 1) for part in request.headers["signature"].split(","))
        assert params["keyId"] == '"cert-7"' and "authorization" in params["headers"]  # Basic auth is covered
        assert request.headers["digest"].startswith("SHA-512=")


@respx.mock
@pytest.mark.parametrize(("expires_in", "refreshed"), [(61, False), (60, True)])
async def test_a_token_is_refreshed_from_the_moment_it_is_within_the_margin(expires_in: int, refreshed: bool) -> None:
    """Fresh while it outlives the 60 s margin; at exactly the margin it is refreshed first."""
    store = MemoryTokenStore(_tokens("a1", "r1", expires_in=expires_in))
    respx.post(f"{API}/oauth2/token").mock(return_value=_token_response("a2", "r2"))
    assert await _manager(store, f"org-margin-{expires_in}").access_token() == ("a2" if refreshed else "a1")
    assert len(store.saved) == int(refreshed)


async def test_without_a_refresh_token_the_person_is_asked_to_link_again() -> None:
    store = MemoryTokenStore(TokenSet("a1", None, NOW - timedelta(seconds=1), "ai"))
    with pytest.raises(ReconnectRequired) as refused:
        await _manager(store, "org-no-refresh").access_token()
    assert (refused.value.status_code, refused.value.error) == (400, "no_refresh_token")
    assert "link again" in str(refused.value)
