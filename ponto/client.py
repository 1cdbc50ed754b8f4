"""Ponto Connect resource client over an injected httpx.AsyncClient."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import httpx

from .errors import PontoError, PontoResponseError
from .models import (
    Account,
    BulkPayment,
    FinancialInstitution,
    NewBulkPayment,
    NewPayment,
    Payment,
    Synchronization,
    Transaction,
    UserInfo,
)
from .tokens import StaticToken, TokenSource
from .transport import DEFAULT_RETRY, PontoTransport, RetryPolicy

log = logging.getLogger(__name__)
MAX_PAGES = 100_000  # a bound on every paging loop, far above any real account
SYNC_SUBTYPES = ("accountDetails", "accountTransactions", "accountTransactionsWithUnsettled")


class SynchronizationTimeout(PontoError):
    """A synchronization did not finish in the time allowed."""


class PontoClient:
    """Calls made for one organization."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_url: str,
        access_token: str | None = None,
        tokens: TokenSource | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if tokens is None:
            if access_token is None:
                raise ValueError("give access_token or tokens")
            tokens = StaticToken(access_token)
        self._api_url = api_url.rstrip("/")
        self._transport = PontoTransport(http, tokens, retry=retry, sleep=sleep)

    # -- organization and accounts ------------------------------------------------------------------

    async def userinfo(self) -> UserInfo:
        return UserInfo.from_json(await self._transport.request("GET", f"{self._api_url}/userinfo"))

    async def iter_accounts(self, *, page_limit: int = 100) -> AsyncIterator[Account]:
        async for obj in self._collection(f"{self._api_url}/accounts", page_limit=page_limit):
            yield Account.from_jsonapi(obj)

    async def list_accounts(self) -> list[Account]:
        return [account async for account in self.iter_accounts()]

    async def get_account(self, account_id: str) -> Account:
        body = await self._transport.request("GET", f"{self._api_url}/accounts/{account_id}")
        return Account.from_jsonapi(body["data"])

    # -- transactions ---------------------------------------------------------------------------------

    async def iter_transactions(self, account_id: str, *, page_limit: int = 100) -> AsyncIterator[Transaction]:
        """Booked transactions, newest first (the order Ponto lists them in)."""
        url = f"{self._api_url}/accounts/{account_id}/transactions"
        async for obj in self._collection(url, page_limit=page_limit):
            if (tx := _transaction(obj)) is not None:
                yield tx

    async def iter_pending_transactions(self, account_id: str, *, page_limit: int = 100) -> AsyncIterator[Transaction]:
        url = f"{self._api_url}/accounts/{account_id}/pending-transactions"
        async for obj in self._collection(url, page_limit=page_limit):
            if (tx := _transaction(obj)) is not None:
                yield tx

    async def iter_new_transactions(
        self, account_id: str, known_ids: set[str] | frozenset[str], *, page_limit: int = 100
    ) -> AsyncIterator[Transaction]:
        """Newest first until a transaction we already have; with none known, everything."""
        async for transaction in self.iter_transactions(account_id, page_limit=page_limit):
            if transaction.id in known_ids:
                return
            yield transaction

    # -- synchronizations ---------------------------------------------------------------------------

    async def create_synchronization(
        self, account_id: str, subtype: str, *, customer_ip: str = "127.0.0.1"
    ) -> Synchronization:
        if subtype not in SYNC_SUBTYPES:
            raise ValueError(f"subtype must be one of {SYNC_SUBTYPES}")
        attributes = {
            "resourceType": "account",
            "resourceId": account_id,
            "subtype": subtype,
            "customerIpAddress": customer_ip,
        }
        body = await self._transport.request(
            "POST",
            f"{self._api_url}/synchronizations",
            body={"data": {"type": "synchronization", "attributes": attributes}},
        )
        return Synchronization.from_jsonapi(body["data"])

    async def get_synchronization(self, synchronization_id: str) -> Synchronization:
        body = await self._transport.request("GET", f"{self._api_url}/synchronizations/{synchronization_id}")
        return Synchronization.from_jsonapi(body["data"])

    async def wait_synchronization(
        self, synchronization_id: str, *, max_wait: float = 60.0, interval: float = 1.0
    ) -> Synchronization:
        """Poll until `success` or `error`; a sync that takes longer raises SynchronizationTimeout."""
        deadline = time.monotonic() + max_wait
        while True:
            sync = await self.get_synchronization(synchronization_id)
            if sync.done:
                return sync
            if time.monotonic() + interval > deadline:
                raise SynchronizationTimeout(f"synchronization {synchronization_id} still {sync.status}")
            await asyncio.sleep(interval)

    async def iter_updated_transactions(self, synchronization_id: str) -> AsyncIterator[Transaction]:
        url = f"{self._api_url}/synchronizations/{synchronization_id}/updated-transactions"
        async for obj in self._collection(url, page_limit=100):
            if (tx := _transaction(obj)) is not None:
                yield tx

    async def iter_updated_pending_transactions(self, synchronization_id: str) -> AsyncIterator[Transaction]:
        url = f"{self._api_url}/synchronizations/{synchronization_id}/updated-pending-transactions"
        async for obj in self._collection(url, page_limit=100):
            if (tx := _transaction(obj)) is not None:
                yield tx

    # -- reauthorization and payments -----------------------------------------------------------------

    async def create_reauthorization_request(self, account_id: str, redirect_uri: str) -> str:
        """The link where the person renews the bank authorization."""
        body = await self._transport.request(
            "POST",
            f"{self._api_url}/accounts/{account_id}/reauthorization-requests",
            body={"data": {"type": "reauthorizationRequest", "attributes": {"redirectUri": redirect_uri}}},
        )
        link = ((body.get("data") or {}).get("links") or {}).get("redirect")
        if not link:
            raise PontoResponseError("the reauthorization request has no redirect link")
        return str(link)

    async def create_payment(
        self, account_id: str, payment: NewPayment, *, idempotency_key: str | None = None
    ) -> Payment:
        """`idempotency_key`: stored by the caller before the call, so a retry creates nothing new."""
        body = await self._transport.request(
            "POST",
            f"{self._api_url}/accounts/{account_id}/payments",
            body={"data": {"type": "payment", "attributes": payment.as_attributes()}},
            idempotency_key=idempotency_key,
        )
        return Payment.from_jsonapi(body["data"])

    async def create_bulk_payment(
        self, account_id: str, bulk: NewBulkPayment, *, idempotency_key: str | None = None
    ) -> BulkPayment:
        body = await self._transport.request(
            "POST",
            f"{self._api_url}/accounts/{account_id}/bulk-payments",
            body={"data": {"type": "bulkPayment", "attributes": bulk.as_attributes()}},
            idempotency_key=idempotency_key,
        )
        return BulkPayment.from_jsonapi(body["data"])

    async def get_bulk_payment(self, account_id: str, bulk_payment_id: str) -> BulkPayment:
        url = f"{self._api_url}/accounts/{account_id}/bulk-payments/{bulk_payment_id}"
        return BulkPayment.from_jsonapi((await self._transport.request("GET", url))["data"])

    async def delete_payment(self, account_id: str, payment_id: str, *, bulk: bool = False) -> None:
        """Withdraw an unsigned (bulk) payment."""
        kind = "bulk-payments" if bulk else "payments"
        await self._transport.request("DELETE", f"{self._api_url}/accounts/{account_id}/{kind}/{payment_id}")

    async def get_financial_institution(self, institution_id: str) -> FinancialInstitution:
        url = f"{self._api_url}/financial-institutions/{institution_id}"
        return FinancialInstitution.from_jsonapi((await self._transport.request("GET", url))["data"])

    async def create_payment_activation_request(self, redirect_uri: str) -> str:
        """The link where the organization asks Ponto to activate payments (§4.10)."""
        body = await self._transport.request(
            "POST",
            f"{self._api_url}/payment-activation-requests",
            body={"data": {"type": "paymentActivationRequest", "attributes": {"redirectUri": redirect_uri}}},
        )
        link = ((body.get("data") or {}).get("links") or {}).get("redirect")
        if not link:
            raise PontoResponseError("the payment activation request has no redirect link")
        return str(link)

    async def get_payment(self, account_id: str, payment_id: str) -> Payment:
        body = await self._transport.request("GET", f"{self._api_url}/accounts/{account_id}/payments/{payment_id}")
        return Payment.from_jsonapi(body["data"])

    # -- paging ---------------------------------------------------------------------------------------

    async def _collection(self, url: str, *, page_limit: int) -> AsyncIterator[Mapping[str, Any]]:
        """Yield resource objects page by page, following `links.next` verbatim; one page in memory."""
        next_url: str | None = url
        params: dict[str, Any] | None = {"page[limit]": page_limit}
        for _ in range(MAX_PAGES):
            if next_url is None:
                return
            body = await self._transport.request("GET", next_url, params=params)
            params = None  # the next link carries its own query
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise PontoResponseError(f"{httpx.URL(url).path} returned no data list")
            for obj in data:
                yield obj
            following = (body.get("links") or {}).get("next")
            next_url = following if following and following != next_url and data else None
        raise PontoError(f"{url}: more than {MAX_PAGES} pages; stopped")


def _transaction(obj: Mapping[str, Any]) -> Transaction | None:
    """One line Ponto sent in a shape we cannot read (no amount, say) is logged and left out: it must not
    stop the lines around it from arriving."""
    try:
        return Transaction.from_jsonapi(obj)
    except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
        log.warning("left out transaction %s that cannot be read: %s", obj.get("id"), exc)
        return None
