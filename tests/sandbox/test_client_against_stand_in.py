"""The Ponto client against the stand-in over real HTTP, faults injected through its control API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from ponto import (
    MemoryTokenStore,
    NewPayment,
    OAuthClientConfig,
    PontoClient,
    PontoOAuth,
    PontoServerError,
    ReconnectRequired,
    RetryPolicy,
    TokenManager,
    TokenSet,
)
from sandbox import ponto as stand_in
from tests.conftest import load_fixture
from tests.support.ponto import consent_code
from tests.support.threaded import serve_in_thread

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, max_retry_after=2)


@pytest.fixture
def base() -> Iterator[str]:
    with serve_in_thread(stand_in.create_standalone_app()) as url:
        yield f"{url}{stand_in.MOUNT}"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


async def link(http: httpx.AsyncClient, base: str) -> TokenSet:
    """Consent and code exchange, as the app does them."""
    verifier = "k" * 64
    code = await consent_code(http, base, verifier=verifier)
    oauth = PontoOAuth(
        http, OAuthClientConfig(f"{base}/api", stand_in.DEFAULT_CLIENT_ID, stand_in.DEFAULT_CLIENT_SECRET)
    )
    return await oauth.exchange_code(code, redirect_uri="http://app.test/cb", verifier=verifier)


def managed_client(http: httpx.AsyncClient, base: str, store: MemoryTokenStore, key: str) -> PontoClient:
    oauth = PontoOAuth(
        http, OAuthClientConfig(f"{base}/api", stand_in.DEFAULT_CLIENT_ID, stand_in.DEFAULT_CLIENT_SECRET)
    )
    return PontoClient(http, api_url=f"{base}/api", tokens=TokenManager(oauth, store, key=key), retry=FAST)


async def control(http: httpx.AsyncClient, base: str, path: str, body: dict) -> dict:
    response = await http.post(f"{base}/_control/{path}", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def test_transactions_page_newest_first_and_match_the_real_attributes(http, base) -> None:
    client = PontoClient(http, api_url=f"{base}/api", access_token=(await link(http, base)).access_token)
    account = (await client.list_accounts())[0]
    first = [t async for t in client.iter_transactions(account.id, page_limit=5)]
    assert len(first) == 28 and all(t.account_id == account.id for t in first)
    created = [t.created_at for t in first]
    assert created == sorted(created, reverse=True)
    real = set(load_fixture("ponto-connect/transactions.json")["data"][0]["attributes"])
    assert real <= set(first[0].raw["attributes"])
    added = await control(http, base, "transactions", {"account_id": account.id, "count": 3, "webhook": False})
    new = [t.id async for t in client.iter_new_transactions(account.id, {first[0].id})]
    assert new == list(reversed(added["ids"]))


async def test_a_synchronization_moves_on_and_lists_its_updated_transactions(http, base) -> None:
    client = PontoClient(http, api_url=f"{base}/api", access_token=(await link(http, base)).access_token)
    account = (await client.list_accounts())[1]
    added = await control(http, base, "transactions", {"account_id": account.id, "count": 4, "webhook": False})
    sync = await client.create_synchronization(account.id, "accountTransactions", customer_ip="10.0.0.1")
    assert sync.status == "pending"
    real = set(load_fixture("ponto-connect/synchronization.json")["data"]["attributes"])
    assert real <= set(sync.raw["attributes"])
    done = await client.wait_synchronization(sync.id, max_wait=5, interval=0.05)
    assert done.status == "success"
    updated = {t.id async for t in client.iter_updated_transactions(sync.id)}
    assert updated == set(added["ids"])
    again = await client.wait_synchronization(
        (await client.create_synchronization(account.id, "accountTransactions")).id, interval=0.05
    )
    assert [t async for t in client.iter_updated_transactions(again.id)] == []  # reported once


async def test_reauthorization_and_payment_links(http, base) -> None:
    client = PontoClient(http, api_url=f"{base}/api", access_token=(await link(http, base)).access_token)
    account = (await client.list_accounts())[0]
    link_url = await client.create_reauthorization_request(account.id, "http://app.test/back")
    assert link_url.startswith(f"{base}/reauthorize/")
    payment = await client.create_payment(
        account.id,
        NewPayment(
            amount=4200,
            currency="EUR",
            creditor_name="Imprimerie Dumont SA",
            creditor_iban="BE68539007547034",
            remittance_information="+++090/9337/55493+++",
            remittance_information_type="structured",
        ),
    )
    assert payment.status == "unsigned" and payment.amount == 4200 and payment.redirect
    real = set(load_fixture("ponto-connect/payment_create.json")["data"]["attributes"])
    assert real - {"requestedExecutionDate", "creditorAgent", "creditorAgentType", "endToEndId"} <= set(
        payment.raw["attributes"]
    )
    signed = await http.post(payment.redirect, data={"decision": "approve"})
    assert signed.status_code == 200
    assert (await client.get_payment(account.id, payment.id)).status == "accepted"
    latest = [t async for t in client.iter_transactions(account.id, page_limit=1)][0]
    assert latest.amount == -4200 and latest.counterpart_reference == "BE68539007547034"


async def test_429_with_retry_after_and_a_burst_of_500s(http, base) -> None:
    client = PontoClient(http, api_url=f"{base}/api", access_token=(await link(http, base)).access_token, retry=FAST)
    await control(http, base, "faults", {"path": "/accounts$", "status": 429, "count": 1, "retry_after": 1})
    await control(http, base, "faults", {"path": "/accounts$", "status": 500, "count": 2})
    started = asyncio.get_running_loop().time()
    assert len(await client.list_accounts()) == 3
    assert asyncio.get_running_loop().time() - started >= 1.0  # Retry-After was honoured
    await control(http, base, "faults", {"path": "/userinfo$", "status": 503, "count": 10})
    with pytest.raises(PontoServerError):
        await client.userinfo()


async def test_timeouts_and_truncated_json_are_retried(http, base) -> None:
    # Only the client under test has the short timeout: linking and the control calls keep the
    # fixture's generous one, so a loaded machine cannot fail the set-up. The delay is twice the
    # timeout, so the first call times out however fast the machine is.
    access_token = (await link(http, base)).access_token
    await control(http, base, "faults", {"path": "/accounts$", "delay": 2.0, "count": 1})
    await control(http, base, "faults", {"path": "/accounts$", "truncate": True, "count": 1})
    async with httpx.AsyncClient(timeout=httpx.Timeout(1.0)) as short:
        client = PontoClient(short, api_url=f"{base}/api", access_token=access_token, retry=FAST)
        assert len(await client.list_accounts()) == 3


async def test_expired_access_token_rotated_refresh_token_and_concurrent_refreshes(http, base) -> None:
    store = MemoryTokenStore(await link(http, base))
    first_refresh = store.tokens.refresh_token
    await control(http, base, "tokens", {"expire_access_tokens": True})
    clients = [managed_client(http, base, store, "org-live") for _ in range(3)]
    infos = await asyncio.gather(*(c.userinfo() for c in clients))
    assert {i.name for i in infos} == {"Demo Company BV"}
    assert len(store.saved) == 1 and store.tokens.refresh_token != first_refresh  # one refresh, rotated
    # The spent refresh token is dead at Ponto; the stored one still works.
    old = TokenSet("expired", first_refresh, datetime.now(UTC) - timedelta(minutes=1))
    with pytest.raises(ReconnectRequired):
        await managed_client(http, base, MemoryTokenStore(old), "org-old").userinfo()
    await control(http, base, "tokens", {"expire_access_tokens": True})
    assert (await managed_client(http, base, store, "org-live").userinfo()).name == "Demo Company BV"
    assert len(store.saved) == 2
