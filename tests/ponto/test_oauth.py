"""OAuth with PKCE against respx, using Ponto's real token response body."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from ponto import (
    OAuthClientConfig,
    PontoOAuth,
    PontoOAuthError,
    PontoTransportError,
    ReconnectRequired,
    authorize_url,
    code_challenge,
    make_code_verifier,
)
from tests.conftest import fixture_bytes

API = "https://api.example.test/ponto-connect"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_code_challenge_matches_rfc7636_appendix_b() -> None:
    assert (
        code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_verifier_is_long_random_and_urlsafe() -> None:
    verifiers = {make_code_verifier() for _ in range(20)}
    assert len(verifiers) == 20
    assert all(43 <= len(v) <= 128 and v.replace("-", "").replace("_", "").isalnum() for v in verifiers)


def test_authorize_url_carries_every_parameter() -> None:
    url = authorize_url(
        "https://authorization.myponto.com/oauth2/auth",
        client_id="client-1",
        redirect_uri="https://bot.example/ponto/callback",
        state="state-1",
        verifier="dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    )
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert (parts.netloc, parts.path) == ("authorization.myponto.com", "/oauth2/auth")
    assert query == {
        "client_id": "client-1",
        "redirect_uri": "https://bot.example/ponto/callback",
        "response_type": "code",
        "scope": "ai pi name offline_access",
        "state": "state-1",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }


@pytest.fixture
async def oauth() -> PontoOAuth:
    return PontoOAuth(httpx.AsyncClient(), OAuthClientConfig(API, "client-1", "s3cret"), clock=lambda: NOW)


@respx.mock
async def test_exchange_code_uses_basic_auth_and_a_form_body(oauth: PontoOAuth) -> None:
    route = respx.post(f"{API}/oauth2/token").respond(
        200, content=fixture_bytes("ponto-connect/create_access_token.json")
    )
    tokens = await oauth.exchange_code("the-code", redirect_uri="https://bot.example/cb", verifier="v" * 50)
    request = route.calls.last.request
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"client-1:s3cret").decode()
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["authorization_code"],
        "code": ["the-code"],
        "client_id": ["client-1"],
        "redirect_uri": ["https://bot.example/cb"],
        "code_verifier": ["v" * 50],
    }
    assert tokens.access_token.startswith("MoH3t9zBrnTvlt0qB061")
    assert tokens.refresh_token is not None and tokens.refresh_token.startswith("I_UnPbrN5wH3")
    assert tokens.expires_at == NOW + timedelta(seconds=1799)
    assert tokens.scope == "offline_access ai pi"


@respx.mock
async def test_refresh_sends_the_refresh_grant(oauth: PontoOAuth) -> None:
    route = respx.post(f"{API}/oauth2/token").respond(
        200, content=fixture_bytes("ponto-connect/create_access_token.json")
    )
    await oauth.refresh("old-refresh")
    assert parse_qs(route.calls.last.request.content.decode()) == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["old-refresh"],
        "client_id": ["client-1"],
    }


@respx.mock
async def test_invalid_grant_means_reconnect(oauth: PontoOAuth) -> None:
    respx.post(f"{API}/oauth2/token").respond(
        400, json={"error": "invalid_grant", "error_description": "The refresh token was used", "error_hint": "x"}
    )
    with pytest.raises(ReconnectRequired) as caught:
        await oauth.refresh("spent")
    assert caught.value.error == "invalid_grant" and "was used" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "error"), [(400, "invalid_request"), (401, "invalid_client"), (403, "unauthorized_client")]
)
@respx.mock
async def test_every_refusal_of_a_refresh_token_means_reconnect(oauth: PontoOAuth, status: int, error: str) -> None:
    """Retrying the same refresh token cannot help: the connection is marked broken and an admin told once."""
    respx.post(f"{API}/oauth2/token").respond(status, json={"error": error})
    with pytest.raises(ReconnectRequired) as caught:
        await oauth.refresh("r")
    assert caught.value.status_code == status and caught.value.error == error


@pytest.mark.parametrize("status", [429, 500, 503])
@respx.mock
async def test_rate_limits_and_server_errors_are_passing_not_reconnect(oauth: PontoOAuth, status: int) -> None:
    respx.post(f"{API}/oauth2/token").respond(status, json={"error": "temporarily_unavailable"})
    with pytest.raises(PontoOAuthError) as caught:
        await oauth.refresh("r")
    assert not isinstance(caught.value, ReconnectRequired)
    assert caught.value.status_code == status


@respx.mock
async def test_revoke_posts_the_token(oauth: PontoOAuth) -> None:
    route = respx.post(f"{API}/oauth2/revoke").respond(200, json={})
    await oauth.revoke("refresh-1")
    assert parse_qs(route.calls.last.request.content.decode()) == {"token": ["refresh-1"]}


@respx.mock
async def test_connection_failure_is_a_transport_error(oauth: PontoOAuth) -> None:
    respx.post(f"{API}/oauth2/token").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(PontoTransportError):
        await oauth.exchange_code("c", redirect_uri="r", verifier="v")
