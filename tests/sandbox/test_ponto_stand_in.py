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


async def _tokens(
    http: httpx.AsyncClient, scope: str = "ai pi name offline_access", organization: str | None = None
) -> dict:
    verifier = "v" * 64
    code = await consent_code(
        http,
        BASE,
        redirect_uri="http://app.test/ponto/callback",
        scope=scope,
        verifier=verifier,
        state="s1",
        organization=organization,
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
    unknown = {**form, "refresh_token": "never-issued"}
    assert (await http.post(f"{BASE}/api/oauth2/token", data=unknown, auth=auth)).status_code == 400
    state = (await http.get(f"{BASE}/_control/state")).json()
    assert state["refresh_token_reuses"] == 1  # the spent one, recorded; a token never issued is not a reuse


async def test_each_organization_sees_only_its_own_accounts(http: httpx.AsyncClient) -> None:
    added = (await http.post(f"{BASE}/_control/organizations", json={"count": 2})).json()["organizations"]
    consent = (await http.get(f"{BASE}/oauth2/auth", params=_authorize_params())).text
    assert all(o["id"] in consent for o in added)  # the person picks the organization to share
    demo = await _tokens(http)
    other = await _tokens(http, organization=added[1]["id"])
    mine = {"Authorization": f"Bearer {other['access_token']}"}
    listed = (await http.get(f"{BASE}/api/accounts", headers=mine)).json()["data"]
    assert [a["id"] for a in listed] == added[1]["accounts"]
    info = (await http.get(f"{BASE}/api/userinfo", headers=mine)).json()
    assert info["sub"] == added[1]["id"] and info["name"] == added[1]["name"]
    demo_headers = {"Authorization": f"Bearer {demo['access_token']}"}
    demo_account = (await http.get(f"{BASE}/api/accounts", headers=demo_headers)).json()["data"][0]["id"]
    for path in (f"accounts/{demo_account}", f"accounts/{demo_account}/transactions"):
        assert (await http.get(f"{BASE}/api/{path}", headers=mine)).status_code == 404  # not shared with them
    foreign = (await http.get(f"{BASE}/api/accounts/{added[1]['accounts'][0]}", headers=demo_headers)).status_code
    assert foreign == 404


async def test_rate_faults_fail_that_share_of_calls_until_cleared(http: httpx.AsyncClient) -> None:
    headers = {"Authorization": f"Bearer {(await _tokens(http))['access_token']}"}
    fault = {"path": "accounts", "status": 500, "rate": 0.3}
    assert (await http.post(f"{BASE}/_control/faults", json=fault)).status_code == 201
    statuses = [(await http.get(f"{BASE}/api/accounts", headers=headers)).status_code for _ in range(200)]
    assert 40 <= statuses.count(500) <= 80 and statuses.count(200) == 200 - statuses.count(500)
    await http.delete(f"{BASE}/_control/faults")
    assert (await http.get(f"{BASE}/api/accounts", headers=headers)).status_code == 200
    bad = {"path": "accounts", "status": 500, "rate": 1.5}
    assert (await http.post(f"{BASE}/_control/faults", json=bad)).status_code == 400


async def test_runs_of_calls_that_overlap_on_one_organization_are_recorded(http: httpx.AsyncClient) -> None:
    headers = {"Authorization": f"Bearer {(await _tokens(http))['access_token']}"}

    async def call(run: str) -> None:
        assert (await http.get(f"{BASE}/api/accounts", headers={**headers, "X-Correlation-Id": run})).is_success

    for run in ("a", "a", "b", "b"):  # one after the other
        await call(run)
    assert (await http.get(f"{BASE}/_control/state")).json()["overlapping_runs"] == []
    for run in ("c", "d", "c"):  # d within c
        await call(run)
    state = (await http.get(f"{BASE}/_control/state")).json()
    assert state["runs"] == 4 and [overlap[1:] for overlap in state["overlapping_runs"]] == [["c", "d"]]


def _authorize_params() -> dict[str, str]:
    return {
        "client_id": stand_in.DEFAULT_CLIENT_ID,
        "redirect_uri": "http://app.test/cb",
        "response_type": "code",
        "scope": "ai offline_access",
        "state": "s",
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
    }


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


async def test_a_bulk_payment_keeps_the_real_attribute_names_and_books_each_payment_once_signed(
    http: httpx.AsyncClient,
) -> None:
    headers = {"Authorization": f"Bearer {(await _tokens(http))['access_token']}"}
    account = (await http.get(f"{BASE}/api/accounts", headers=headers)).json()["data"][0]["id"]

    def payment(creditor: str, amount: str, currency: str = "EUR") -> dict:
        return {"amount": amount, "currency": currency, "creditorName": creditor,
                "creditorAccountReference": "BE68539007547034", "creditorAccountReferenceType": "IBAN",
                "remittanceInformation": "Invoice", "remittanceInformationType": "unstructured"}  # fmt: skip

    body = {"data": {"type": "bulkPayment", "attributes": {
        "reference": "Supplier run", "batchBookingPreferred": True, "redirectUri": "http://app.test/paid",
        "requestedExecutionDate": "2026-12-01",
        "payments": [payment("Alpha BV", "10.50"), payment("Beta SRL", "20.00"), payment("Gamma NV", "0.01")],
    }}}  # fmt: skip
    url = f"{BASE}/api/accounts/{account}/bulk-payments"
    key = {"Ibanity-Idempotency-Key": "bulk-1"}
    created = (await http.post(url, json=body, headers={**headers, **key})).json()["data"]
    fixture = load_fixture("ponto-connect/bulk_payment_create.json")["data"]
    assert _attribute_names(created) == _attribute_names(fixture) and created["attributes"]["status"] == "unsigned"
    again = (await http.post(url, json=body, headers={**headers, **key})).json()["data"]
    assert again["id"] == created["id"]  # a retried POST creates nothing new
    dollars = {"data": {"attributes": {**body["data"]["attributes"], "payments": [payment("Delta", "1.00", "USD")]}}}
    refused = await http.post(url, json=dollars, headers=headers)
    assert refused.status_code == 400 and refused.json()["errors"][0]["meta"]["attribute"] == "currency"

    before = len(
        (await http.get(f"{BASE}/api/accounts/{account}/transactions?page[limit]=100", headers=headers)).json()["data"]
    )
    signed = await http.post(
        created["links"]["redirect"].replace("http://ponto.test", ""), data={"decision": "approve"}
    )
    assert signed.status_code == 303 and "status=accepted" in signed.headers["location"]
    lines = (await http.get(f"{BASE}/api/accounts/{account}/transactions?page[limit]=100", headers=headers)).json()[
        "data"
    ]
    assert len(lines) == before + 3
    assert sorted(t["attributes"]["amount"] for t in lines[:3]) == [-20.0, -10.5, -0.01]  # newest first, outgoing
    got = (await http.get(f"{url}/{created['id']}", headers=headers)).json()["data"]
    assert got["attributes"]["status"] == "accepted" and "links" not in got  # the signing link is gone once signed
    again_signed = await http.post(
        created["links"]["redirect"].replace("http://ponto.test", ""), data={"decision": "approve"}
    )
    assert again_signed.status_code == 200
    after = (await http.get(f"{BASE}/api/accounts/{account}/transactions?page[limit]=100", headers=headers)).json()[
        "data"
    ]
    assert len(after) == before + 3  # signing twice books nothing twice
    assert (await http.delete(f"{url}/{created['id']}", headers=headers)).status_code == 400  # signed: stays
