"""Resource calls against respx with Ponto's real bodies: exact amounts, paging, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import respx

from money import from_minor_units, to_minor_units
from ponto import (
    Account,
    PontoAuthError,
    PontoClient,
    PontoNotFound,
    PontoRateLimited,
    PontoResponseError,
    PontoServerError,
    RetryPolicy,
)
from sandbox.jsonapi import dumps
from tests.conftest import fixture_bytes, load_fixture

API = "https://api.ibanity.com/ponto-connect"


@pytest.fixture
def client() -> PontoClient:
    """No retries here: tests/ponto/test_transport.py covers them."""
    return PontoClient(httpx.AsyncClient(), api_url=API, access_token="token-1", retry=RetryPolicy(attempts=1))


@respx.mock
async def test_accounts_fixture_parses_exactly(client: PontoClient) -> None:
    route = respx.get(f"{API}/accounts").respond(200, content=fixture_bytes("ponto-connect/accounts.json"))
    (account,) = await client.list_accounts()
    assert route.calls.last.request.headers["authorization"] == "Bearer token-1"
    assert route.calls.last.request.url.params["page[limit]"] == "100"
    assert account.id == "8804e34f-12b0-4b70-86bf-265f013ca232"
    assert account.reference == "BE53586671384412" and account.reference_type == "IBAN"
    assert account.current_balance == 638604 and account.available_balance == 638604
    assert account.currency == "EUR" and account.name == "Repellat voluptatem aut."
    assert account.authorization_expires_at == datetime(2020, 10, 13, 12, 1, 44, 166000, tzinfo=UTC)
    assert account.synchronized_at == datetime(2019, 9, 2, 11, 28, 36, 551000, tzinfo=UTC)
    assert account.raw["attributes"]["internalReference"] == "99f0c729-c51a-4b4c-a4e4-abb8a52c1e12"


def test_single_account_fixture_parses() -> None:
    account = Account.from_jsonapi(load_fixture("ponto-connect/account.json")["data"])
    assert account.currency and isinstance(account.current_balance, int)


@respx.mock
async def test_userinfo_fixture(client: PontoClient) -> None:
    respx.get(f"{API}/userinfo").respond(200, content=fixture_bytes("ponto-connect/userinfo.json"))
    info = await client.userinfo()
    assert info.organization_id == "6680437c-8ed8-425b-84b7-2c31e5ca625d"
    assert info.name == "New documentation" and info.payments_activated and info.onboarding_complete


def _page(ids: list[str], next_link: str | None) -> bytes:
    template = load_fixture("ponto-connect/accounts.json")["data"][0]
    data = [{**template, "id": i} for i in ids]
    links = {"first": f"{API}/accounts"} | ({"next": next_link} if next_link else {})
    return dumps({"data": data, "links": links, "meta": {"paging": {"limit": 2}}}).encode()


@respx.mock
async def test_paging_follows_next_links_verbatim(client: PontoClient) -> None:
    second = f"{API}/accounts?page[after]=b&page[limit]=2&opaque=kept"
    respx.get(f"{API}/accounts", params={"page[limit]": "100"}).respond(200, content=_page(["a", "b"], second))
    follow = respx.get(f"{API}/accounts", params={"page[after]": "b", "opaque": "kept"}).respond(
        200, content=_page(["c"], None)
    )
    ids = [account.id async for account in client.iter_accounts()]
    assert ids == ["a", "b", "c"]
    assert str(follow.calls.last.request.url) == second


@pytest.mark.parametrize(
    ("status", "kind"),
    [(401, PontoAuthError), (404, PontoNotFound), (429, PontoRateLimited), (503, PontoServerError)],
)
@respx.mock
async def test_error_statuses_map_to_exceptions_with_the_error_body(
    client: PontoClient, status: int, kind: type
) -> None:
    body = {"errors": [{"code": "someCode", "detail": "Some detail.", "meta": {"requestId": "req-9"}}]}
    respx.get(f"{API}/userinfo").respond(status, json=body, headers={"Retry-After": "7"})
    with pytest.raises(kind) as caught:
        await client.userinfo()
    assert caught.value.codes == ["someCode"] and caught.value.request_id == "req-9"
    assert "Some detail." in str(caught.value)
    if status == 429:
        assert caught.value.retry_after == 7.0


@respx.mock
async def test_truncated_body_is_a_response_error(client: PontoClient) -> None:
    respx.get(f"{API}/userinfo").respond(200, content=b'{"sub": "abc", "na')
    with pytest.raises(PontoResponseError, match="not JSON"):
        await client.userinfo()


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("6386.04", "EUR", 638604),
        ("-0.01", "EUR", -1),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("2.5", "EUR", 250),
    ],
)
def test_minor_units_round_trip_exactly(amount: str, currency: str, minor: int) -> None:
    assert to_minor_units(Decimal(amount), currency) == minor
    assert from_minor_units(minor, currency) == Decimal(amount)


def test_amounts_finer_than_the_currency_are_refused_not_rounded() -> None:
    with pytest.raises(ValueError, match="more decimals"):
        to_minor_units(Decimal("1.005"), "EUR")
    with pytest.raises(TypeError):
        to_minor_units(1.5, "EUR")  # type: ignore[arg-type]


def test_a_float_parsed_body_is_refused() -> None:
    obj = {"id": "x", "attributes": {"currency": "EUR", "currentBalance": 1.5}}
    with pytest.raises(TypeError, match="parse_float=Decimal"):
        Account.from_jsonapi(obj)


@respx.mock
async def test_a_line_that_cannot_be_read_is_left_out_and_the_others_arrive(client: PontoClient) -> None:
    template = load_fixture("ponto-connect/transactions.json")["data"][0]
    broken = {**template, "id": "broken", "attributes": {**template["attributes"], "amount": None}}
    odd = {**template, "id": "odd", "attributes": {**template["attributes"], "amount": Decimal("-12.345")}}
    body = {"data": [broken, odd, {**template, "id": "fine"}], "links": {}, "meta": {"paging": {"limit": 100}}}
    respx.get(f"{API}/accounts/a1/transactions").respond(200, content=dumps(body).encode())
    lines = [tx async for tx in client.iter_transactions("a1")]
    assert [t.id for t in lines] == ["odd", "fine"]
    assert (lines[0].amount, lines[0].amount_exact) == (-1234, "-12.345")  # half-even, exact text kept
