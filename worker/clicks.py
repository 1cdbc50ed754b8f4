"""A person answers a question (choose) or takes a match back (undo); each settles once, and every
message it touches is edited to say what is true now."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from matching.engine import compact_iban
from storage import invoices as invoice_store, matches, workspaces
from storage.models import BankAccount, BankTransaction, InvoiceRow, Match, OutboxMessage, Workspace

from .mappers import invoice_view, line_view
from .notices import InvoicePaid, MatchQuestion, UnknownNotice, decode
from .notify import notify, revise_message
from .questions import current_question, refresh_questions
from .views import Closing


@dataclass(frozen=True)
class Outcome:
    """What a click did: `paid` (the private reply says what was paid), else `text`; and the question
    as it should read now, with where it is in Slack, to edit it at once."""

    ok: bool
    text: str = ""
    paid: InvoicePaid | None = None
    question: MatchQuestion | None = None
    question_message: tuple[str, str] | None = None  # (channel id, ts)
    already_at: datetime | None = None  # someone answered first, at this time


@dataclass(frozen=True)
class _Clicked:
    workspace: Workspace
    match: Match
    tx: BankTransaction
    account: BankAccount | None
    location: tuple[str, str] | None


async def _load(session: AsyncSession, team_id: str, match_id: int) -> tuple[Workspace, Match] | None:
    """The match, only when it belongs to the clicking workspace (a forged id finds nothing)."""
    workspace = await workspaces.get_by_team(session, team_id)
    match = await session.get(Match, match_id)
    if workspace is None or match is None or match.workspace_id != workspace.id:
        return None
    return workspace, match


async def _context(session: AsyncSession, workspace: Workspace, match: Match) -> _Clicked:
    tx = await session.get(BankTransaction, match.transaction_id)
    assert tx is not None
    account = await session.get(BankAccount, tx.account_id)
    return _Clicked(workspace, match, tx, account, await _location(session, match.question_outbox_id))


async def _location(session: AsyncSession, outbox_id: int | None) -> tuple[str, str] | None:
    row = await session.get(OutboxMessage, outbox_id) if outbox_id is not None else None
    if row is None or not row.slack_ts or not row.slack_channel_id:
        return None
    return row.slack_channel_id, row.slack_ts


def _already_done(match: Match) -> Outcome:
    """Someone (or the bot) answered first: say who, what and when (the bot shows the time to each reader)."""
    what = "marked it as not an invoice payment" if match.status == "dismissed" else "settled it"
    who = "the bot" if match.settled_by == "auto" else f"<@{match.settled_by}>"
    return Outcome(False, f"Already done: {who} {what}", already_at=match.settled_at)


def _closed(clicked: _Clicked, closing: Closing) -> MatchQuestion:
    return MatchQuestion(match_id=clicked.match.id, line=line_view(clicked.tx, clicked.account), closing=closing)


async def choose(
    sessions: async_sessionmaker[AsyncSession],
    *,
    team_id: str,
    match_id: int,
    choice: str,
    user: str,
    now: datetime,
) -> Outcome:
    """Settle a question once: invoice numbers joined by "+", or "none" for 'not an invoice payment'."""
    async with sessions.begin() as session:
        found = await _load(session, team_id, match_id)
        if found is None:
            return Outcome(False, "This question no longer exists.")
        workspace, match = found
        status = "dismissed" if choice == "none" else "settled"
        if not await matches.claim(session, match_id, by=user, now=now, status=status):
            await session.refresh(match)
            return _already_done(match)
        clicked = await _context(session, workspace, match)
        if choice == "none":
            closed = _closed(clicked, Closing("dismissed", by=user))
            text = f"<@{user}> marked this payment as not an invoice payment."
            return Outcome(True, text, question=closed, question_message=clicked.location)
        numbers = [n for n in choice.split("+") if n]
        rows = await invoice_store.by_numbers(session, workspace.id, numbers)
        stale = [n for n in numbers if n not in rows or rows[n].status != "open"]
        if stale or not numbers:
            match.status, match.settled_by, match.settled_at = "pending", None, None
            now_asked = await current_question(session, workspace, match)
            if now_asked.closing is not None:
                match.status = "none"
            text = f"{', '.join(stale) or 'That invoice'} is no longer open; the question now shows what is."
            return Outcome(False, text, question=now_asked, question_message=clicked.location)
        paid = await _pay(session, clicked, [rows[n] for n in numbers], user, now=now)
        closed = _closed(clicked, Closing("chosen", by=user, invoices=numbers))
        return Outcome(True, paid=paid, question=closed, question_message=clicked.location)


async def _pay(
    session: AsyncSession, clicked: _Clicked, invoices: list[InvoiceRow], user: str, *, now: datetime
) -> InvoicePaid:
    """Spread the payment over the chosen invoices in order, remember the payer, queue the message."""
    tx, workspace = clicked.tx, clicked.workspace
    left = abs(tx.amount)
    applied: dict[int, int] = {}
    for invoice in invoices:
        applied[invoice.id] = min(left, invoice.amount - invoice.settled)
        left -= applied[invoice.id]
    await matches.allocate(session, clicked.match, applied)
    iban = compact_iban(tx.counterpart_reference)
    if iban and invoices[0].counterparty_name:
        await matches.remember_link(session, workspace.id, iban, invoices[0].counterparty_name, user, now)
    paid = InvoicePaid(
        match_id=clicked.match.id,
        line=line_view(tx, clicked.account),
        by=user,
        how=[],
        invoices=[invoice_view(invoice, applied[invoice.id]) for invoice in invoices],
    )
    message = await notify(session, workspace, paid, now=now)
    clicked.match.paid_outbox_id = message.id if message else None
    await refresh_questions(session, workspace, [i.number for i in invoices], now=now, skip=clicked.match.id)
    return paid


async def undo(
    sessions: async_sessionmaker[AsyncSession], *, team_id: str, match_id: int, user: str, now: datetime
) -> Outcome:
    """Restore the invoices, say so on the paid message, and ask the question again."""
    async with sessions.begin() as session:
        found = await _load(session, team_id, match_id)
        if found is None:
            return Outcome(False, "This match no longer exists.")
        workspace, match = found
        if match.status != "settled":
            return Outcome(False, "This was already undone; nothing changed.")
        rows = await matches.undo(session, match)
        restored = [r.number for r in rows]
        await _mark_undone(session, match, user, now=now)
        named = list(dict.fromkeys(restored + list(match.candidates.get("numbers", []))))
        match.candidates = {**match.candidates, "numbers": named}  # a new dict: the JSON column sees the change
        asked = await current_question(session, workspace, match)
        if asked.closing is not None:
            match.status = "none"
        location = await _location(session, match.question_outbox_id)
        if match.question_outbox_id is None:  # it was decided automatically: there was no question yet
            message = await notify(session, workspace, asked, now=now)
            match.question_outbox_id = message.id if message else None
        await refresh_questions(session, workspace, restored, now=now, skip=match.id)
        text = f"<@{user}> undid it: {', '.join(restored)} open again."
        return Outcome(True, text, question=asked, question_message=location)


async def _mark_undone(session: AsyncSession, match: Match, user: str, *, now: datetime) -> None:
    """The "marked paid" message is edited to say who undid it, and loses its Undo button."""
    row = await session.get(OutboxMessage, match.paid_outbox_id) if match.paid_outbox_id else None
    if row is None:
        return
    try:
        paid = decode(row.kind, row.payload)
    except UnknownNotice:
        return
    if isinstance(paid, InvoicePaid):
        undone = dataclasses.replace(paid, undone_by=user, undone_at=now)
        await revise_message(session, row.id, undone, now=now)
