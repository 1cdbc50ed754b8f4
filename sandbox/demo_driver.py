"""What the outside world does during `make demo`, so there is something to see: once the demo workspace is
connected, an invoicing tool posts a few invoices through the app's own API (`POST /api/invoices`, the demo
token), then the bank books, one every few seconds, a payment that settles one invoice clearly, one that
could be either of two invoices (the app asks), one that pays an invoice in part, and after that ordinary
lines; two supplier invoices wait for someone to try `/ponto pay`. `DEMO_TRICKLE_SECONDS` sets the pace
(0, the default outside `make demo`, turns it off). How far it got is kept with the stand-in's state, so a
restarted demo does not pay the same invoices twice."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from .ponto_data import ogm
from .ponto_state import PontoSandbox

log = logging.getLogger(__name__)
REFERENCE = ogm(2_026_112_901)


def demo_invoices(today: date) -> list[dict[str, Any]]:
    issued, due = today - timedelta(days=25), today + timedelta(days=5)

    def invoice(number: str, customer: str, amount: str, **extra: str) -> dict[str, Any]:
        return {"number": number, "customer": customer, "amount": amount, "currency": "EUR",
                "issue_date": str(issued), "due_date": str(due), "kind": "sales", **extra}  # fmt: skip

    return [
        invoice("DEMO-2026-001", "Atelier Lumière SRL", "1452.00", payment_reference=REFERENCE),
        invoice("DEMO-2026-002", "Brasserie du Parc", "480.00"),
        invoice("DEMO-2026-003", "Café Central BV", "480.00"),
        invoice("DEMO-2026-004", "Drukkerij Van Aert", "2500.00", payment_reference=ogm(2_026_112_904)),
        invoice("DEMO-2026-005", "Eco Logistics NV", "915.75", due_date=str(today - timedelta(days=12))),
        # Two supplier invoices, for `/ponto payables` and `/ponto pay`: the demo pays nothing by itself.
        invoice("SUP-2026-101", "Papeterie Dubois SRL", "236.50", kind="purchase",
                customer_iban="BE68539007547034", payment_reference=ogm(2_026_113_001)),
        invoice("SUP-2026-102", "Transport Janssens BV", "1210.00", kind="purchase",
                customer_iban="BE71096123456769", due_date=str(today + timedelta(days=2))),
    ]  # fmt: skip


SCRIPTED_PAYMENTS = [  # clear, ambiguous, partial: what the app does with each is the point of the demo
    {"amount": "1452.00", "remittanceInformation": REFERENCE, "remittanceInformationType": "structured",
     "counterpartName": "ATELIER LUMIERE SRL", "counterpartReference": "BE71096123456769"},
    {"amount": "480.00", "remittanceInformation": "Betaling factuur", "remittanceInformationType": "unstructured",
     "counterpartName": "J. Peeters", "counterpartReference": "BE62510007547061"},
    {"amount": "1000.00", "remittanceInformation": ogm(2_026_112_904), "remittanceInformationType": "structured",
     "counterpartName": "DRUKKERIJ VAN AERT", "counterpartReference": "BE68539007547034"},
]  # fmt: skip


class DemoDriver:
    def __init__(self, app_url: str, api_token: str, ponto: PontoSandbox, every: float) -> None:
        self.app_url = app_url.rstrip("/")
        self.api_token = api_token
        self.ponto = ponto
        self.every = every

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=10, headers={"Authorization": f"Bearer {self.api_token}"}) as http:
            while not await self._pause(stop, 2.0):
                if await self._invoices_posted(http):
                    break
            rng = random.Random(self.ponto.demo_step)
            while not await self._pause(stop, self.every):
                self._book_next(rng)

    async def _invoices_posted(self, http: httpx.AsyncClient) -> bool:
        """True once the demo workspace is connected and holds the demo invoices (posting them is idempotent)."""
        if not self.ponto.refresh_tokens:  # nobody connected yet: nothing to post invoices to
            return False
        try:
            answer = await http.post(f"{self.app_url}/api/invoices", json=demo_invoices(datetime.now(UTC).date()))
        except httpx.HTTPError as exc:
            log.info("demo: the invoice API did not answer yet: %r", exc)
            return False
        if answer.status_code not in (200, 201):
            log.info("demo: the invoice API said %s: %s", answer.status_code, answer.text[:200])
            return False
        return True

    def _book_next(self, rng: random.Random) -> None:
        account = self.ponto.organization.accounts[0]
        step = self.ponto.demo_step
        if step < len(SCRIPTED_PAYMENTS):
            self.ponto.add_transactions(account.id, given=[SCRIPTED_PAYMENTS[step]])
        else:
            self.ponto.add_transactions(account.id, count=1, seed=rng.randrange(1 << 30))
        self.ponto.demo_step = step + 1
        self.ponto.background_sync(account.id)

    @staticmethod
    async def _pause(stop: asyncio.Event, seconds: float) -> bool:
        """Wait `seconds` unless stopped; True when stopped."""
        try:
            await asyncio.wait_for(stop.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True
