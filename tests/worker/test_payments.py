"""Payments of supplier invoices in the worker: stored before Ponto is called, one per form however
often it is submitted, one at a time per invoice, and followed to the end with each change told once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from invoices import Invoice
from ponto import PontoNotFound, PontoTransportError
from storage import invoices as invoice_store, payments as payment_store, workspaces
from storage.models import BankAccount, InvoiceRow, OutboxMessage, PaymentRow
from worker import mappers, payment_forms, payment_sending, payments
from worker.payment_follow import PaymentFollower, our_status

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
OGM = "+++090/9337/55493+++"
VALUES = {"creditor": "Brasserie Eclair", "iban": "BE68539007547034", "bic": "", "amount": "250.00",
          "communication": OGM, "date": "2026-12-02"}  # fmt: skip


@pytest.fixture
async def sessions(connected) -> AsyncIterator[async_sessionmaker]:  # type: ignore[no-untyped-def]
    async for maker in connected([("Current", "EUR", 0)]):
        async with maker.begin() as session:
            workspace = await workspaces.get_by_team(session, "T1")
            assert workspace is not None
            invoice = Invoice("P-1", "purchase", date(2026, 11, 1), date(2026, 12, 2), "EUR", 250_00, OGM, "Brasserie")
            data = [mappers.invoice_data(invoice)]
            await invoice_store.upsert(session, workspace.id, data, source="t")
        yield maker


async def _account_id(sessions: async_sessionmaker) -> str:
    async with sessions() as session:
        return str((await payment_forms.draft(session, "T1", ["P-1"], today=TODAY)).values["account"])


def _submission(key: str, account: str, **values: str) -> payments.Submission:
    return payments.Submission("T1", "U1", key=key, numbers=["P-1"], values={**VALUES, "account": account, **values})


@dataclass
class FakePonto:
    """Ponto as the follower and the sender see it: statuses it is told to give, calls it received."""

    status: str = "unsigned"
    created: list[str] = field(default_factory=list)
    asked: int = 0
    fail_creation: Exception | None = None

    async def userinfo(self) -> Any:
        return type("Info", (), {"payments_activated": True, "name": "Org"})()

    async def create_payment(self, account_id: str, payment: Any, *, idempotency_key: str | None = None) -> Any:
        if self.fail_creation is not None:
            raise self.fail_creation
        self.created.append(str(idempotency_key))
        return type("P", (), {"id": "pay-1", "status": "unsigned", "redirect": "https://sign.test/pay-1"})()

    async def get_payment(self, account_id: str, payment_id: str) -> Any:
        self.asked += 1
        await asyncio.sleep(0.01)  # let a second follower read the same row meanwhile
        if self.status == "gone":
            raise PontoNotFound(404)
        return type("P", (), {"status": self.status})()


async def _messages(sessions: async_sessionmaker) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "payment"))
        return [r.payload for r in rows]


async def test_a_form_submitted_twice_is_one_payment_and_the_invoice_is_held(sessions: async_sessionmaker) -> None:
    account = await _account_id(sessions)
    first = await payments.prepare(sessions, _submission("V1", account), today=TODAY, now=NOW)
    again = await payments.prepare(sessions, _submission("V1", account), today=TODAY, now=NOW)
    assert first.payment_id is not None and again.payment_id == first.payment_id
    other = await payments.prepare(sessions, _submission("V2", account), today=TODAY, now=NOW)
    assert other.refused and "already in a payment prepared by <@U1>" in other.refused
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(PaymentRow)) == 1
        held = await session.scalar(select(InvoiceRow.paying_payment_id).where(InvoiceRow.number == "P-1"))
    assert held == first.payment_id


async def test_more_than_is_open_is_asked_first_and_wrong_fields_store_nothing(sessions: async_sessionmaker) -> None:
    account = await _account_id(sessions)
    wrong = await payments.prepare(sessions, _submission("V0", account, iban="BE00"), today=TODAY, now=NOW)
    assert "not a valid IBAN" in wrong.errors["iban"] and wrong.payment_id is None
    more = await payments.prepare(sessions, _submission("V1", account, amount="300"), today=TODAY, now=NOW)
    assert more.confirm_amount == 300_00 and more.payment_id is None
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(PaymentRow)) == 0
    confirmed = payments.Submission(
        "T1", "U1", key="V1", numbers=["P-1"], values={**VALUES, "account": account, "amount": "300"},
        confirmed_amount=300_00,
    )  # fmt: skip
    stored = await payments.prepare(sessions, confirmed, today=TODAY, now=NOW)
    async with sessions() as session:
        payment = await session.get(PaymentRow, stored.payment_id)
    assert payment is not None and payment.amount == 300_00 and payment.status == "preparing"


async def test_ponto_not_answering_keeps_the_payment_to_send_again_with_the_same_key(
    sessions: async_sessionmaker,
) -> None:
    account = await _account_id(sessions)
    prepared = await payments.prepare(sessions, _submission("V1", account), today=TODAY, now=NOW)
    assert prepared.payment_id is not None
    ponto = FakePonto(fail_creation=PontoTransportError("timed out"))
    sent = await payment_sending.send(sessions, lambda _c: ponto, prepared.payment_id, redirect_uri="r", now=NOW)  # type: ignore[arg-type,return-value]
    assert sent.status == "preparing" and "did not answer" in str(sent.problem)
    assert await _messages(sessions) == []
    ponto.fail_creation = None
    follower = PaymentFollower(
        sessions, lambda _c: ponto, clock=lambda: NOW, poll=timedelta(seconds=1), redirect_uri="r"
    )  # type: ignore[arg-type,return-value]
    assert await follower.round() == 1
    key = payments.idempotency_key("V1")
    assert ponto.created == [key]
    [message] = await _messages(sessions)
    assert message["status"] == "unsigned" and message["lines"][0]["number"] == "P-1"


async def test_two_followers_tell_each_change_once_and_an_end_frees_the_invoice(sessions: async_sessionmaker) -> None:
    account = await _account_id(sessions)
    prepared = await payments.prepare(sessions, _submission("V1", account), today=TODAY, now=NOW)
    assert prepared.payment_id is not None
    ponto = FakePonto()
    await payment_sending.send(sessions, lambda _c: ponto, prepared.payment_id, redirect_uri="r", now=NOW)  # type: ignore[arg-type,return-value]
    followers = [
        PaymentFollower(sessions, lambda _c: ponto, clock=lambda: NOW, poll=timedelta(seconds=1), redirect_uri="r")  # type: ignore[arg-type,return-value]
        for _ in range(2)
    ]
    ponto.status = "rejected"
    changed = await asyncio.gather(*(f.round() for f in followers))
    assert sorted(changed) == [0, 1] and ponto.asked == 2
    statuses = [m["status"] for m in await _messages(sessions)]
    assert statuses == ["rejected"]  # the first message, still queued, now says it; no second message
    async with sessions() as session:
        held = await session.scalar(select(InvoiceRow.paying_payment_id).where(InvoiceRow.number == "P-1"))
        payment = await session.get(PaymentRow, prepared.payment_id)
    assert held is None and payment is not None and payment.next_check_at is None


async def test_a_signed_payment_is_paid_once_its_invoice_is_settled(sessions: async_sessionmaker) -> None:
    account = await _account_id(sessions)
    prepared = await payments.prepare(sessions, _submission("V1", account), today=TODAY, now=NOW)
    assert prepared.payment_id is not None
    ponto = FakePonto(status="accepted")
    await payment_sending.send(sessions, lambda _c: ponto, prepared.payment_id, redirect_uri="r", now=NOW)  # type: ignore[arg-type,return-value]
    follower = PaymentFollower(
        sessions, lambda _c: ponto, clock=lambda: NOW, poll=timedelta(seconds=1), redirect_uri="r"
    )  # type: ignore[arg-type,return-value]
    assert await follower.round() == 1
    assert [m["status"] for m in await _messages(sessions)] == ["signed"]
    assert await follower.round() == 0  # nothing new: asked again later, nothing said
    async with sessions.begin() as session:
        row = await session.scalar(select(InvoiceRow).where(InvoiceRow.number == "P-1"))
        assert row is not None
        row.settled, row.status = row.amount, "paid"  # what the matcher does with the outgoing bank line
        payment = await session.get(PaymentRow, prepared.payment_id)
        assert payment is not None
        payment.next_check_at = NOW
    assert await follower.round() == 1
    assert [m["status"] for m in await _messages(sessions)] == ["paid"]


@pytest.mark.parametrize(
    ("ponto", "ours"),
    [("unsigned", "unsigned"), ("pending", "signed"), ("accepted-settlement-completed", "signed"),
     ("rejected", "rejected"), ("Expired", "expired"), ("canceled", "cancelled"), ("deleted", "cancelled")],
)  # fmt: skip
def test_pontos_statuses_read_as_ours(ponto: str, ours: str) -> None:
    assert our_status(ponto) == ours


async def test_an_invoice_is_held_by_one_payment_whoever_asks_at_the_same_moment(sessions: async_sessionmaker) -> None:
    """Two forms submitted together both read the invoice as free; the hold lets one of them store it."""
    account = await _account_id(sessions)
    results = await asyncio.gather(
        *(payments.prepare(sessions, _submission(key, account), today=TODAY, now=NOW) for key in ("V1", "V2"))
    )
    stored = [r for r in results if r.payment_id is not None]
    assert len(stored) == 1 and any(r.refused for r in results)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(PaymentRow)) == 1
    async with sessions.begin() as session:
        invoice_id = await session.scalar(select(InvoiceRow.id).where(InvoiceRow.number == "P-1"))
        assert invoice_id is not None
        assert not await payment_store.hold(session, 999, [invoice_id])  # held by the stored one: refused
        held = await session.scalar(select(InvoiceRow.paying_payment_id).where(InvoiceRow.id == invoice_id))
    assert held == stored[0].payment_id


async def test_accounts_whose_bank_was_not_known_are_asked_about_outside_the_syncs(
    sessions: async_sessionmaker,
) -> None:
    async with sessions.begin() as session:
        account = await session.scalar(select(BankAccount))
        assert account is not None
        account.raw = {
            "relationships": {"financialInstitution": {"data": {"type": "financialInstitution", "id": "fi-1"}}}
        }
        account.payments_enabled = None
    asked: list[str] = []
    down = [True]  # Ponto cannot say at first

    class Bank:
        async def get_financial_institution(self, institution_id: str) -> Any:
            asked.append(institution_id)
            if down[0]:
                raise PontoTransportError("timed out")
            return type("FI", (), {"payments_enabled": True, "bulk_payments_enabled": False})()

    clock = [NOW]
    follower = PaymentFollower(
        sessions, lambda _c: Bank(), clock=lambda: clock[0], poll=timedelta(seconds=1), redirect_uri="r"
    )  # type: ignore[arg-type,return-value]
    await follower.round()
    await follower.round()
    assert asked == ["fi-1"]  # not asked again at once
    down[0] = False
    clock[0] = NOW + timedelta(minutes=11)
    await follower.round()
    async with sessions() as session:
        learned = await session.scalar(select(BankAccount))
    assert learned is not None and (learned.payments_enabled, learned.bulk_payments_enabled) == (True, False)
    clock[0] = NOW + timedelta(minutes=30)
    await follower.round()
    assert asked == ["fi-1", "fi-1"]  # known now: not asked again


async def test_what_cannot_be_paid_from_here_is_refused_with_what_to_do(sessions: async_sessionmaker) -> None:
    async with sessions.begin() as session:
        workspace = await workspaces.get_by_team(session, "T1")
        assert workspace is not None
        made = [
            Invoice("S-1", "sales", date(2026, 11, 1), None, "EUR", 10_00, None, "Customer"),
            Invoice("P-USD", "purchase", date(2026, 11, 1), None, "USD", 10_00, None, "Yankee Inc"),
        ]
        await invoice_store.upsert(session, workspace.id, [mappers.invoice_data(i) for i in made], source="t")

    async def refusal(*numbers: str, **how: Any) -> str:
        async with sessions() as session:
            with pytest.raises(payment_forms.Refused) as refused:
                await payment_forms.draft(session, "T1", list(numbers), today=TODAY, **how)
        return str(refused.value)

    assert "only supplier (purchase) invoices" in await refusal("S-1")
    assert "no invoice `NOPE`" in await refusal("NOPE")
    assert "Say which invoice" in await refusal()
    assert "bulk payments are in EUR only" in await refusal("P-1", "P-USD")
    assert "No connected account can pay USD" in await refusal("P-USD")
    assert "has the IBAN BE00" in await refusal("P-1", from_iban="BE00 1234")
    async with sessions() as session:
        chosen = await payment_forms.draft(session, "T1", ["P-1"], today=TODAY, from_iban="be68 5390 0754 7034")
    assert chosen.values["account"] == str(chosen.accounts[0].id) and not chosen.bulk
