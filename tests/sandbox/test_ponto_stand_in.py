"""The Ponto stand-in must agree with the real API's bodies, and its OAuth must be strict."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from money import to_minor_units
from ponto import PontoClient
from sandbox import ponto as stand_in
from tests.conftest import load_fixture
from tests.support.ponto import consent_code

BASE = "http://ponto.test/sandbox/ponto"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    app = stand_in.create_standalone_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ponto.test") as client:
        yield client


async def _tokens(http: httpx.AsyncClient, scope: str = "ai pi name offline_access") -> dict:
    verifier = "v" * 64
    code = await consent_code(
        http, BASE, redirect_uri="http://app.test/ponto/callback", scope=scope, verifier=verifier, state="s1"
    )
    response = await http.post(
        f"{BASE}/api/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": "http://app.test/ponto/callback",
            "client_id": stand_in.DEFAULT_CLIENT_ID,
        },
        auth=(stand_in.DEFAULT_CLIENT_ID, stand_in.DEFAULT_CLIENT_SECRET),
    )
    assert response.status_code == 200, response.text
    return response.json()


def _attribute_names(obj: dict) -> set[str]:
    return set(obj["attributes"])


async def test_account_bodies_carry_the_real_attribute_names(http: httpx.AsyncClient) -> None:
    tokens = await _tokens(http)
    body = await http.get(f"{BASE}/api/accounts", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    ours = body.json()["data"][0]
    real = load_fixture("ponto-connect/accounts.json")["data"][0]
    assert _attribute_names(real) <= _attribute_names(ours)
    assert set(real) <= set(ours) and set(real["relationships"]) <= set(ours["relationships"])
    assert set(real["meta"]) <= set(ours["meta"])
    assert set(load_fixture("ponto-connect/accounts.json")) <= set(body.json())


async def test_token_and_userinfo_bodies_match_the_real_ones(http: httpx.AsyncClient) -> None:
    tokens = await _tokens(http)
    assert set(load_fixture("ponto-connect/create_access_token.json")) == set(tokens)
    info = await http.get(f"{BASE}/api/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    real = set(load_fixture("ponto-connect/userinfo.json")) - {
        "representativeOrganizationId",
        "representativeOrganizationName",
    }
    assert real <= set(info.json())


async def test_amounts_are_exact_json_numbers_the_client_reads(http: httpx.AsyncClient) -> None:
    tokens = await _tokens(http)
    assert (
        b'"currentBalance": 12840.55'
        in (
            await http.get(f"{BASE}/api/accounts", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        ).content
    )
    client = PontoClient(http, api_url=f"{BASE}/api", access_token=tokens["access_token"])
    accounts = await client.list_accounts()
    assert [a.current_balance for a in accounts][0] == to_minor_units("12840.55", "EUR")


async def test_paging_follows_next_links(http: httpx.AsyncClient) -> None:
    tokens = await _tokens(http)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    first = (await http.get(f"{BASE}/api/accounts", params={"page[limit]": 2}, headers=headers)).json()
    assert len(first["data"]) == 2 and first["links"]["next"].startswith(f"{BASE}/api/accounts?page%5Bafter%5D=")
    second = (await http.get(first["links"]["next"], headers=headers)).json()
    assert len(second["data"]) == 1 and "next" not in second["links"]


async def test_refresh_tokens_rotate_and_are_single_use(http: httpx.AsyncClient) -> None:
    tokens = await _tokens(http)
    auth = (stand_in.DEFAULT_CLIENT_ID, stand_in.DEFAULT_CLIENT_SECRET)
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    rotated = await http.post(f"{BASE}/api/oauth2/token", data=form, auth=auth)
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != tokens["refresh_token"]
    spent = await http.post(f"{BASE}/api/oauth2/token", data=form, auth=auth)
    assert spent.status_code == 400 and spent.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("problem", ["wrong_verifier", "wrong_redirect", "bad_client", "code_reuse"])
async def test_code_exchange_is_strict(http: httpx.AsyncClient, problem: str) -> None:
    verifier = "w" * 64
    code = await consent_code(http, BASE, scope="ai", verifier=verifier)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": "http://app.test/cb",
    }
    auth = (stand_in.DEFAULT_CLIENT_ID, stand_in.DEFAULT_CLIENT_SECRET)
    if problem == "wrong_verifier":
        form["code_verifier"] = "x" * 64
    elif problem == "wrong_redirect":
        form["redirect_uri"] = "http://evil.test/cb"
    elif problem == "bad_client":
        auth = (stand_in.DEFAULT_CLIENT_ID, "wrong")
    else:
        assert (await http.post(f"{BASE}/api/oauth2/token", data=form, auth=auth)).status_code == 200
    response = await http.post(f"{BASE}/api/oauth2/token", data=form, auth=auth)
    assert response.status_code in (400, 401)
    assert response.json()["error"] == ("invalid_client" if problem == "bad_client" else "invalid_grant")


async def test_consent_page_refuses_requests_without_pkce(http: httpx.AsyncClient) -> None:
    page = await http.get(
        f"{BASE}/oauth2/auth",
        params={
            "client_id": stand_in.DEFAULT_CLIENT_ID,
            "redirect_uri": "http://app.test/cb",
            "response_type": "code",
            "state": "s",
        },
    )
    assert page.status_code == 400 and "PKCE is required" in page.text


def test_demo_ibans_are_valid() -> None:
    from schwifty import IBAN

    for account in stand_in.PontoSandbox().organization.accounts:
        assert IBAN(account.reference).validate(validate_bban=True)
