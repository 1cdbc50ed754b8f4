"""The Ponto stand-in's payments refuse what Ponto refuses, follow a payment's life (signed once,
rejected, expired), and serve what the app reads to choose an account (the financial institution)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from ponto import NewPayment, PontoAPIError, PontoClient
from sandbox import ponto as stand_in
from tests.conftest import load_fixture
from tests.sandbox.test_ponto_stand_in import BASE, _tokens


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    app = stand_in.create_standalone_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ponto.test") as client:
        yield client


def _payment(**changes: object) -> NewPayment:
    values: dict = {
        "amount": 12_50,
        "currency": "EUR",
        "creditor_name": "Alpha BV",
        "creditor_iban": "BE68539007547034",
        "remittance_information": "090933755493",
        "remittance_information_type": "structured",
        "end_to_end_id": "PS1-1",
        "requested_execution_date": date(2026, 12, 1),
        "redirect_uri": "http://app.test/ponto/paid",
    }
    return NewPayment(**(values | changes))


async def _client(http: httpx.AsyncClient, scope: str = "ai pi name offline_access") -> PontoClient:
    return PontoClient(http, api_url=f"{BASE}/api", access_token=(await _tokens(http, scope))["access_token"])


async def _control(http: httpx.AsyncClient, body: dict) -> dict:
    response = await http.post(f"{BASE}/_control/payments", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_financial_institution_says_what_can_be_initiated(http: httpx.AsyncClient) -> None:
    client = await _client(http)
    account = (await client.list_accounts())[0]
    assert account.financial_institution_id
    institution = await client.get_financial_institution(account.financial_institution_id)
    assert institution.payments_enabled and institution.bulk_payments_enabled
    fixture = load_fixture("ponto-connect/financial_institution.json")["data"]
    headers = {"Authorization": f"Bearer {(await _tokens(http))['access_token']}"}
    raw = (await http.get(f"{BASE}/api/financial-institutions/{institution.id}", headers=headers)).json()["data"]
    assert set(fixture["attributes"]) <= set(raw["attributes"])  # the fixture's names, and the §4.6 flags
    await _control(http, {"institution": institution.id, "paymentsEnabled": False})
    assert not (await client.get_financial_institution(institution.id)).payments_enabled
    with pytest.raises(PontoAPIError) as refused:
        await client.create_payment(account.id, _payment())
    assert refused.value.status_code == 400 and refused.value.errors[0]["code"] == "paymentNotSupported"


async def test_payments_need_the_pi_scope_and_activated_payments(http: httpx.AsyncClient) -> None:
    reader = await _client(http, scope="ai name offline_access")
    account = (await reader.list_accounts())[0]
    with pytest.raises(PontoAPIError) as no_scope:
        await reader.create_payment(account.id, _payment())
    assert no_scope.value.status_code == 403 and no_scope.value.errors[0]["code"] == "insufficientScope"

    payer = await _client(http)
    await _control(http, {"activated": False})
    assert not (await payer.userinfo()).payments_activated
    with pytest.raises(PontoAPIError) as inactive:
        await payer.create_payment(account.id, _payment())
    assert inactive.value.errors[0]["code"] == "paymentsNotActivated"
    link = await payer.create_payment_activation_request("http://app.test/ponto/activated")
    page = await http.get(link.replace("http://ponto.test", ""))
    assert page.status_code == 200 and "Activate payments" in page.text
    done = await http.post(link.replace("http://ponto.test", ""), data={"decision": "approve"})
    assert done.status_code == 303 and done.headers["location"].startswith("http://app.test/ponto/activated")
    assert (await payer.userinfo()).payments_activated
    assert (await payer.create_payment(account.id, _payment())).status == "unsigned"


@pytest.mark.parametrize(
    ("change", "attribute", "words"),
    [
        ({"creditor_iban": "BE68539007547035"}, "creditorAccountReference", "not a valid IBAN"),
        ({"currency": "USD"}, "currency", "holds EUR"),
        ({"amount": 0}, "amount", "greater than 0"),
        ({"creditor_name": "A" * 61}, "creditorName", "limited to 60"),
    ],
)
async def test_a_payment_ponto_would_refuse_is_refused(
    http: httpx.AsyncClient, change: dict, attribute: str, words: str
) -> None:
    client = await _client(http)
    account = (await client.list_accounts())[0]
    with pytest.raises(PontoAPIError) as refused:
        await client.create_payment(account.id, _payment(**change))
    error = refused.value.errors[0]
    assert refused.value.status_code == 400 and error["meta"]["attribute"] == attribute and words in error["detail"]


async def test_a_blocked_iban_is_refused(http: httpx.AsyncClient) -> None:
    client = await _client(http)
    account = (await client.list_accounts())[0]
    await _control(http, {"blocked_ibans": ["BE68 5390 0754 7034"]})
    with pytest.raises(PontoAPIError) as refused:
        await client.create_payment(account.id, _payment())
    assert "blocked" in refused.value.errors[0]["detail"]


async def test_a_payment_is_signed_once_and_its_line_booked_once(http: httpx.AsyncClient) -> None:
    client = await _client(http)
    account = (await client.list_accounts())[0]
    created = await client.create_payment(account.id, _payment(), idempotency_key="k-1")
    assert (await client.create_payment(account.id, _payment(), idempotency_key="k-1")).id == created.id
    assert created.redirect
    before = [t async for t in client.iter_transactions(account.id)]
    page = created.redirect.replace("http://ponto.test", "")
    first = await http.post(page, data={"decision": "approve"})
    assert first.status_code == 303 and "status=accepted" in first.headers["location"]
    again = await http.post(page, data={"decision": "approve"})
    assert again.status_code == 200 and "accepted" in again.text
    after = [t async for t in client.iter_transactions(account.id)]
    assert len(after) == len(before) + 1
    line = after[0]
    assert (line.amount, line.end_to_end_id, line.remittance_information) == (-12_50, "PS1-1", "090933755493")
    got = await client.get_payment(account.id, created.id)
    assert got.status == "accepted" and got.redirect is None


async def test_a_rejected_payment_books_nothing_and_an_unsigned_one_expires(http: httpx.AsyncClient) -> None:
    client = await _client(http)
    account = (await client.list_accounts())[0]
    rejected = await client.create_payment(account.id, _payment())
    before = len([t async for t in client.iter_transactions(account.id)])
    assert rejected.redirect
    await http.post(rejected.redirect.replace("http://ponto.test", ""), data={"decision": "deny"})
    assert (await client.get_payment(account.id, rejected.id)).status == "rejected"
    assert len([t async for t in client.iter_transactions(account.id)]) == before

    waiting = await client.create_payment(account.id, _payment(end_to_end_id="PS1-2"))
    assert (await client.get_payment(account.id, waiting.id)).status == "unsigned"
    await _control(http, {"expiry_seconds": 0})
    assert (await client.get_payment(account.id, waiting.id)).status == "expired"
    assert waiting.redirect
    late = await http.post(waiting.redirect.replace("http://ponto.test", ""), data={"decision": "approve"})
    assert "expired" in late.text and len([t async for t in client.iter_transactions(account.id)]) == before
