"""Invoices against stored bank lines: residuals across several transfers, remembered accounts, once-only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from invoices import Invoice
from storage import invoices as invoice_store, workspaces
from storage.models import BankAccount, BankTransaction, InvoiceRow, Match, OutboxMessage
from worker import clicks, mappers, matching_input

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
OGM = "+++090/9337/55493+++"
PAYER = "BE62510007547061"


@pytest.fixture
async def sessions(connected) -> AsyncIterator[async_sessionmaker]:  # type: ignore[no-untyped-def]
    async for maker in connected([("Current", "EUR", 0)]):
        async with maker.begin() as session:
            workspace = await workspaces.get_by_team(session, "T1")
            assert workspace is not None
            invoices = [
                Invoice("INV-1", "sales", date(2026, 11, 1), None, "EUR", 100_000, OGM, "Studio Mons SA"),
                Invoice("INV-2", "sales", date(2026, 11, 2), None, "EUR", 30_000, None, "Studio Mons SA"),
                Invoice("INV-3", "sales", date(2026, 11, 2), None, "EUR", 30_000, None, "Garage Tienen BV"),
            ]
            data = [mappers.invoice_data(i) for i in invoices]
            await invoice_store.upsert(session, workspace.id, data, source="t")
        yield maker


def bank_line(account: BankAccount, ponto_id: str, amount: int, text: str, iban: str | None = PAYER) -> BankTransaction:
    return BankTransaction(
        workspace_id=account.workspace_id,
        account_id=account.id,
        ponto_id=ponto_id,
        pending=False,
        amount=amount,
        currency="EUR",
        execution_date=date(2026, 11, 19),
        counterpart_name="Someone",
        counterpart_reference=iban,
        remittance_information=text,
        raw={},
    )


async def pay(sessions: async_sessionmaker, ponto_id: str, amount: int, text: str, iban: str | None = PAYER) -> Match:
    async with sessions.begin() as session:
        workspace = await workspaces.get_by_team(session, "T1")
        account = await session.scalar(select(BankAccount))
        assert workspace is not None and account is not None
        tx = bank_line(account, ponto_id, amount, text, iban)
        session.add(tx)
        await session.flush()
        await matching_input.match_transactions(session, workspace, account, [tx], now=NOW)
        match = await session.scalar(select(Match).where(Match.transaction_id == tx.id))
        assert match is not None
        return match


async def invoice(sessions: async_sessionmaker, number: str) -> InvoiceRow:
    async with sessions() as session:
        row = await session.scalar(select(InvoiceRow).where(InvoiceRow.number == number))
        assert row is not None
        return row


async def test_one_invoice_paid_by_two_transfers(sessions: async_sessionmaker) -> None:
    partial = await pay(sessions, "t1", 40_000, OGM)
    assert (partial.decision, partial.status) == ("ask", "pending")
    outcome = await clicks.choose(sessions, team_id="T1", match_id=partial.id, choice="INV-1", user="U9", now=NOW)
    assert outcome.ok
    first = await invoice(sessions, "INV-1")
    assert (first.settled, first.status) == (40_000, "open")
    rest = await pay(sessions, "t2", 60_000, OGM)  # exactly what remains, with the reference: decided alone
    assert rest.decision == "auto"
    assert (await invoice(sessions, "INV-1")).status == "paid"


async def test_a_confirmed_account_is_remembered_for_the_next_payment(sessions: async_sessionmaker) -> None:
    asked = await pay(sessions, "t1", 30_000, "Betaling")  # two invoices of 300.00: asked
    assert asked.decision == "ask" and set(asked.candidates["numbers"]) == {"INV-2", "INV-3"}
    await clicks.choose(sessions, team_id="T1", match_id=asked.id, choice="INV-3", user="U9", now=NOW)
    async with sessions.begin() as session:
        workspace = await workspaces.get_by_team(session, "T1")
        assert workspace is not None
        await invoice_store.upsert(
            session,
            workspace.id,
            [
                mappers.invoice_data(
                    Invoice("INV-4", "sales", date(2026, 11, 3), None, "EUR", 12_300, None, "Garage Tienen BV")
                )
            ],
            source="t",
        )
    later = await pay(sessions, "t2", 12_300, "")
    assert (later.decision, later.candidates["invoices"]) == ("auto", ["INV-4"])


async def test_a_question_is_settled_once_and_undo_reopens(sessions: async_sessionmaker) -> None:
    asked = await pay(sessions, "t1", 30_000, "Betaling")
    first = await clicks.choose(sessions, team_id="T1", match_id=asked.id, choice="INV-2", user="U1", now=NOW)
    second = await clicks.choose(sessions, team_id="T1", match_id=asked.id, choice="INV-3", user="U2", now=NOW)
    assert first.ok and not second.ok and second.text.startswith("Already done: <@U1> settled it")
    assert (await invoice(sessions, "INV-3")).status == "open"
    undone = await clicks.undo(sessions, team_id="T1", match_id=asked.id, user="U2", now=NOW)
    assert undone.ok and (await invoice(sessions, "INV-2")).status == "open"
    again = await clicks.undo(sessions, team_id="T1", match_id=asked.id, user="U2", now=NOW)
    assert not again.ok
    other_team = await clicks.choose(sessions, team_id="T2", match_id=asked.id, choice="INV-2", user="U3", now=NOW)
    assert not other_team.ok  # a click from another workspace cannot touch this one
    async with sessions() as session:
        kinds = [m.kind for m in await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert kinds == ["match_question", "invoice_paid"]


async def test_a_payment_that_came_before_its_invoice_is_found_when_the_invoice_arrives(
    sessions: async_sessionmaker,
) -> None:
    early = await pay(sessions, "t1", 45_600, "+++240/2838/42818+++", iban=None)
    assert early.decision == "none"
    async with sessions.begin() as session:
        workspace = await workspaces.get_by_team(session, "T1")
        assert workspace is not None
        late_invoice = Invoice(
            "INV-9", "sales", date(2026, 11, 18), None, "EUR", 45_600, "+++240/2838/42818+++", "Partner 2"
        )
        result, queued = await matching_input.import_and_match(session, workspace, [late_invoice], source="t", now=NOW)
    assert result.created == 1 and queued == 1
    assert (await invoice(sessions, "INV-9")).status == "paid"
    async with sessions() as session:
        decisions = [m.decision for m in await session.scalars(select(Match))]
    assert decisions == ["auto"]  # decided again, not twice


async def test_one_batch_posts_its_questions_as_they_read_after_the_batch(sessions: async_sessionmaker) -> None:
    """A partial payment asks about INV-1; a later line of the same sync pays INV-1 in full. The question
    goes out already closed (true when posted, nothing to choose), after nothing and before the "paid"."""
    async with sessions.begin() as session:
        workspace = await workspaces.get_by_team(session, "T1")
        account = await session.scalar(select(BankAccount))
        assert workspace is not None and account is not None
        lines = [bank_line(account, "part", 40_000, OGM), bank_line(account, "whole", 100_000, OGM)]
        session.add_all(lines)
        await session.flush()
        queued = await matching_input.match_transactions(session, workspace, account, lines, now=NOW)
    assert queued == 2
    async with sessions() as session:
        by_line = {m.transaction_id: m for m in await session.scalars(select(Match))}
        part, whole = (by_line[tx.id] for tx in lines)
        assert (part.decision, part.status) == ("ask", "none")
        assert (whole.decision, whole.status) == ("auto", "settled")
        messages = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [m.id for m in messages] == [part.question_outbox_id, whole.paid_outbox_id]
    assert [m.kind for m in messages] == ["match_question", "invoice_paid"]
    assert messages[0].payload["closing"] is not None  # says INV-1 was paid by the other line
    assert (await invoice(sessions, "INV-1")).status == "paid"
