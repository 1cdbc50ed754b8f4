"""Invoices in, payments matched, invoices marked paid; questions settled once by a click.

The matcher is pure (matching/); this module feeds it from the database and writes its decisions,
allocations and Slack messages (outbox) in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from invoices import Invoice
from matching import Decision, Matcher, OpenItem
from matching.engine import compact_iban
from storage import invoices as invoice_store, matches, outbox, workspaces
from storage.models import BankAccount, BankTransaction, InvoiceRow, Match, OutboxMessage, Workspace

from .reconcile import bank_line, open_item


def invoice_data(invoice: Invoice) -> invoice_store.InvoiceData:
    return invoice_store.InvoiceData(
        number=invoice.number,
        kind=invoice.kind,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        amount=invoice.amount,
        payment_reference=invoice.payment_reference,
        counterparty_name=invoice.counterparty_name,
        counterparty_iban=invoice.counterparty_iban,
        counterparty_vat=invoice.counterparty_vat,
    )


def as_invoice(row: InvoiceRow) -> Invoice:
    return Invoice(
        number=row.number,
        kind=row.kind,
        issue_date=row.issue_date,
        due_date=row.due_date,
        currency=row.currency,
        amount=row.amount,
        payment_reference=row.payment_reference,
        counterparty_name=row.counterparty_name,
        counterparty_iban=row.counterparty_iban,
    )


def residual_item(row: InvoiceRow) -> OpenItem:
    return open_item(as_invoice(row), settled=row.settled)


def _line_payload(tx: BankTransaction, account: BankAccount | None) -> dict[str, Any]:
    return {
        "id": tx.ponto_id,
        "amount": tx.amount,
        "currency": tx.currency,
        "counterpart": tx.counterpart_name,
        "remittance": tx.remittance_information,
        "execution_date": tx.execution_date.isoformat() if tx.execution_date else None,
        "account_name": account.name if account else None,
    }


def _invoice_payload(row: InvoiceRow, applied: int | None = None) -> dict[str, Any]:
    return {
        "number": row.number,
        "customer": row.counterparty_name,
        "amount": row.amount,
        "currency": row.currency,
        "remaining": max(0, row.amount - row.settled),
        "applied": applied,
        "kind": row.kind,
        "due_date": row.due_date.isoformat() if row.due_date else None,
    }


async def match_transactions(
    session: AsyncSession,
    workspace: Workspace,
    account: BankAccount,
    created: Sequence[BankTransaction],
    *,
    now: datetime,
) -> int:
    """Decide every new booked line; auto decisions are applied, questions queued. Returns messages queued."""
    queued = 0
    links = await matches.links(session, workspace.id)
    matcher: Matcher | None = None
    by_number: dict[str, InvoiceRow] = {}
    for tx in created:
        if tx.pending:
            continue
        if matcher is None:  # (re)built only when an allocation changed what is still open
            rows = await invoice_store.open_rows(session, workspace.id)
            if not rows:
                return queued
            by_number = {row.number: row for row in rows}
            matcher = Matcher([residual_item(r) for r in rows], links)
        decision = matcher.decide(bank_line(tx))
        queued += await _record(session, workspace, account, tx, decision, by_number, now=now)
        if decision.decision == "auto":
            matcher = None
    return queued


async def _record(
    session: AsyncSession,
    workspace: Workspace,
    account: BankAccount,
    tx: BankTransaction,
    decision: Decision,
    by_number: dict[str, InvoiceRow],
    *,
    now: datetime,
) -> int:
    candidates = {"numbers": decision.candidates, "reasons": decision.reasons, "invoices": decision.invoices}
    match = await matches.create(
        session,
        workspace_id=workspace.id,
        transaction_id=tx.id,
        decision=decision.decision,
        candidates=candidates,
        now=now,
    )
    if decision.decision == "auto":
        applied = {by_number[n].id: amount for n, amount in decision.allocations.items()}
        rows = await matches.allocate(session, match, applied)
        payload = {
            "match_id": match.id,
            "line": _line_payload(tx, account),
            "how": decision.reasons,
            "by": "auto",
            "invoices": [_invoice_payload(r, applied[r.id]) for r in rows],
        }
        await outbox.enqueue(
            session,
            workspace_id=workspace.id,
            channel=workspace.finance_channel,
            kind="invoice_paid",
            payload=payload,
            now=now,
        )
        return 1
    if decision.decision == "ask":
        message = await outbox.enqueue(
            session,
            workspace_id=workspace.id,
            channel=workspace.finance_channel,
            kind="match_question",
            payload=question_payload(match, tx, account, [by_number[n] for n in decision.candidates if n in by_number]),
            now=now,
        )
        match.question_outbox_id = message.id if message else None
        return 1
    return 0


def question_payload(
    match: Match, tx: BankTransaction, account: BankAccount | None, rows: Sequence[InvoiceRow]
) -> dict[str, Any]:
    return {
        "match_id": match.id,
        "line": _line_payload(tx, account),
        "reasons": match.candidates.get("reasons", []),
        "candidates": [_invoice_payload(r) for r in rows],
    }


@dataclass(frozen=True)
class Outcome:
    """What a click did, for the person who clicked (privately) and the channel."""

    ok: bool
    text: str
    question: dict[str, Any] | None = None  # the question's payload, to show it settled (or again, after undo)
    question_message: tuple[str, str] | None = None  # (channel id, ts) of the question in Slack


async def _question_location(session: AsyncSession, match: Match) -> tuple[str, str] | None:
    if match.question_outbox_id is None:
        return None
    row = await session.get(OutboxMessage, match.question_outbox_id)
    if row is None or not row.slack_ts or not row.slack_channel_id:
        return None
    return row.slack_channel_id, row.slack_ts


async def choose(
    sessions: async_sessionmaker, *, team_id: str, match_id: int, choice: str, user: str, now: datetime
) -> Outcome:
    """Settle a question once: an invoice number, or "none" for 'not an invoice payment'."""
    async with sessions.begin() as session:
        workspace = await workspaces.get_by_team(session, team_id)
        match = await session.get(Match, match_id)
        if workspace is None or match is None or match.workspace_id != workspace.id:
            return Outcome(False, "This question no longer exists.")
        if not await matches.claim(
            session, match_id, by=user, now=now, status="dismissed" if choice == "none" else "settled"
        ):
            await session.refresh(match)
            what = "marked it as not an invoice payment" if match.status == "dismissed" else "settled it"
            when = match.settled_at.strftime("%d %b %H:%M UTC") if match.settled_at else ""
            who = "the bot" if match.settled_by == "auto" else f"<@{match.settled_by}>"
            return Outcome(False, f"Already done: {who} {what} {when}. Nothing changed.")
        tx = await session.get(BankTransaction, match.transaction_id)
        account = await session.get(BankAccount, tx.account_id) if tx else None
        assert tx is not None
        location = await _question_location(session, match)
        if choice == "none":
            return Outcome(
                True,
                f"<@{user}> marked this payment as not an invoice payment.",
                question={
                    "match_id": match.id,
                    "line": _line_payload(tx, account),
                    "settled": f"Not an invoice payment (<@{user}>)",
                },
                question_message=location,
            )
        rows = await invoice_store.by_numbers(session, workspace.id, [choice])
        invoice = rows.get(choice)
        if invoice is None or invoice.status != "open":
            match.status, match.settled_by, match.settled_at = "pending", None, None
            return Outcome(False, f"Invoice {choice} is no longer open; nothing changed.")
        remaining = invoice.amount - invoice.settled
        applied = min(abs(tx.amount), remaining)
        await matches.allocate(session, match, {invoice.id: applied})
        if tx.counterpart_reference and invoice.counterparty_name:
            await matches.remember_link(
                session,
                workspace.id,
                compact_iban(tx.counterpart_reference) or "",
                invoice.counterparty_name,
                user,
                now,
            )
        payload = {
            "match_id": match.id,
            "line": _line_payload(tx, account),
            "by": user,
            "how": [f"confirmed by <@{user}>"],
            "invoices": [_invoice_payload(invoice, applied)],
        }
        await outbox.enqueue(
            session,
            workspace_id=workspace.id,
            channel=workspace.finance_channel,
            kind="invoice_paid",
            payload=payload,
            now=now,
        )
        settled = f"{invoice.number} chosen by <@{user}>"
        return Outcome(
            True,
            f"Done: invoice {invoice.number} marked paid.",
            question_message=location,
            question={"match_id": match.id, "line": _line_payload(tx, account), "settled": settled},
        )


async def undo(sessions: async_sessionmaker, *, team_id: str, match_id: int, user: str, now: datetime) -> Outcome:
    """Restore the invoice(s) and ask the question again."""
    async with sessions.begin() as session:
        workspace = await workspaces.get_by_team(session, team_id)
        match = await session.get(Match, match_id)
        if workspace is None or match is None or match.workspace_id != workspace.id:
            return Outcome(False, "This match no longer exists.")
        if match.status != "settled":
            return Outcome(False, "This was already undone; nothing changed.")
        rows = await matches.undo(session, match)
        tx = await session.get(BankTransaction, match.transaction_id)
        assert tx is not None
        account = await session.get(BankAccount, tx.account_id)
        numbers = list(dict.fromkeys([r.number for r in rows] + list(match.candidates.get("numbers", []))))
        open_now = await invoice_store.by_numbers(session, workspace.id, numbers)
        question = question_payload(match, tx, account, [open_now[n] for n in numbers if n in open_now][:3])
        location = await _question_location(session, match)
        if match.question_outbox_id is None:  # it was decided automatically: there was no question yet
            message = await outbox.enqueue(
                session,
                workspace_id=workspace.id,
                channel=workspace.finance_channel,
                kind="match_question",
                payload=question,
                now=now,
            )
            match.question_outbox_id = message.id if message else None
        restored = ", ".join(r.number for r in rows)
        return Outcome(
            True, f"<@{user}> undid it: {restored} open again.", question=question, question_message=location
        )


async def open_invoices(session: AsyncSession, team_id: str) -> list[InvoiceRow]:
    workspace = await workspaces.get_by_team(session, team_id)
    return await invoice_store.open_rows(session, workspace.id) if workspace else []


async def unmatched(session: AsyncSession, team_id: str) -> list[dict[str, Any]]:
    workspace = await workspaces.get_by_team(session, team_id)
    if workspace is None:
        return []
    out = []
    for match in await matches.pending(session, workspace.id):
        tx = await session.get(BankTransaction, match.transaction_id)
        if tx is not None:
            out.append(
                {"match_id": match.id, "candidates": match.candidates.get("numbers", []), **_line_payload(tx, None)}
            )
    return out


async def workspace_for_import(session: AsyncSession, team_id: str | None) -> Workspace:
    """The workspace invoices belong to: the given team, or the only one there is."""
    if team_id:
        workspace = await workspaces.get_by_team(session, team_id)
        if workspace is None:
            raise LookupError(f"no workspace {team_id}; run /ponto activate in that Slack workspace first")
        return workspace
    rows = list(await session.scalars(select(Workspace)))
    if len(rows) != 1:
        raise LookupError(
            "no workspace yet: run /ponto activate in Slack first"
            if not rows
            else f"{len(rows)} workspaces: say which with --team (one of {', '.join(r.team_id for r in rows)})"
        )
    return rows[0]


async def match_stored(session: AsyncSession, workspace: Workspace, *, now: datetime, limit: int = 2000) -> int:
    """After invoices arrive: decide again the stored bank lines that had no decision or matched nothing."""
    settled = select(Match.transaction_id).where(Match.status != "none")
    rows = list(
        await session.scalars(
            select(BankTransaction)
            .where(
                BankTransaction.workspace_id == workspace.id,
                BankTransaction.pending.is_(False),
                BankTransaction.id.not_in(settled),
            )
            .order_by(BankTransaction.execution_date, BankTransaction.id)
            .limit(limit)
        )
    )
    if rows:  # 'nothing matched' decisions carry no allocation: they are simply made again
        await session.execute(
            delete(Match).where(Match.status == "none", Match.transaction_id.in_([tx.id for tx in rows]))
        )
    queued = 0
    for tx in rows:
        account = await session.get(BankAccount, tx.account_id)
        if account is not None:
            queued += await match_transactions(session, workspace, account, [tx], now=now)
    return queued


async def import_and_match(
    session: AsyncSession, workspace: Workspace, parsed: Sequence[Invoice], *, source: str, now: datetime
) -> tuple[invoice_store.ImportResult, int]:
    """Store the invoices, then look for their payments among the lines already stored."""
    result = await invoice_store.upsert(session, workspace.id, [invoice_data(i) for i in parsed], source=source)
    return result, await match_stored(session, workspace, now=now)
