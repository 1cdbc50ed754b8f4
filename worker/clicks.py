"""A person answers a question (choose) or takes an automatic match back (undo); each settles once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from matching.engine import compact_iban
from storage import invoices as invoice_store, matches, workspaces
from storage.models import BankAccount, BankTransaction, InvoiceRow, Match, OutboxMessage, Workspace

from .mappers import invoice_view, line_view
from .matching_input import question
from .notices import InvoicePaid, MatchQuestion
from .notify import notify


@dataclass(frozen=True)
class Outcome:
    """What a click did, for the person who clicked (privately) and the channel."""

    ok: bool
    text: str
    question: MatchQuestion | None = None  # to show the question settled (or asked again, after undo)
    question_message: tuple[str, str] | None = None  # (channel id, ts) of the question in Slack


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
    return _Clicked(workspace, match, tx, account, await _question_location(session, match))


async def _question_location(session: AsyncSession, match: Match) -> tuple[str, str] | None:
    if match.question_outbox_id is None:
        return None
    row = await session.get(OutboxMessage, match.question_outbox_id)
    if row is None or not row.slack_ts or not row.slack_channel_id:
        return None
    return row.slack_channel_id, row.slack_ts


def _already_done(match: Match) -> Outcome:
    what = "marked it as not an invoice payment" if match.status == "dismissed" else "settled it"
    when = match.settled_at.strftime("%d %b %H:%M UTC") if match.settled_at else ""
    who = "the bot" if match.settled_by == "auto" else f"<@{match.settled_by}>"
    return Outcome(False, f"Already done: {who} {what} {when}. Nothing changed.")


def _settled(clicked: _Clicked, text: str) -> MatchQuestion:
    return MatchQuestion(match_id=clicked.match.id, line=line_view(clicked.tx, clicked.account), settled=text)


async def choose(
    sessions: async_sessionmaker, *, team_id: str, match_id: int, choice: str, user: str, now: datetime
) -> Outcome:
    """Settle a question once: an invoice number, or "none" for 'not an invoice payment'."""
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
            text = f"<@{user}> marked this payment as not an invoice payment."
            settled = _settled(clicked, f"Not an invoice payment (<@{user}>)")
            return Outcome(True, text, question=settled, question_message=clicked.location)
        invoice = (await invoice_store.by_numbers(session, workspace.id, [choice])).get(choice)
        if invoice is None or invoice.status != "open":
            match.status, match.settled_by, match.settled_at = "pending", None, None
            return Outcome(False, f"Invoice {choice} is no longer open; nothing changed.")
        await _pay(session, clicked, invoice, user, now=now)
        settled = _settled(clicked, f"{invoice.number} chosen by <@{user}>")
        return Outcome(
            True, f"Done: invoice {invoice.number} marked paid.", question=settled, question_message=clicked.location
        )


async def _pay(session: AsyncSession, clicked: _Clicked, invoice: InvoiceRow, user: str, *, now: datetime) -> None:
    """Allocate the payment to the chosen invoice, remember the payer's account, queue 'marked paid'."""
    tx, workspace = clicked.tx, clicked.workspace
    applied = min(abs(tx.amount), invoice.amount - invoice.settled)
    await matches.allocate(session, clicked.match, {invoice.id: applied})
    if tx.counterpart_reference and invoice.counterparty_name:
        iban = compact_iban(tx.counterpart_reference) or ""
        await matches.remember_link(session, workspace.id, iban, invoice.counterparty_name, user, now)
    paid = InvoicePaid(
        match_id=clicked.match.id,
        line=line_view(tx, clicked.account),
        by=user,
        how=[f"confirmed by <@{user}>"],
        invoices=[invoice_view(invoice, applied)],
    )
    await notify(session, workspace, paid, now=now)


async def undo(sessions: async_sessionmaker, *, team_id: str, match_id: int, user: str, now: datetime) -> Outcome:
    """Restore the invoice(s) and ask the question again."""
    async with sessions.begin() as session:
        found = await _load(session, team_id, match_id)
        if found is None:
            return Outcome(False, "This match no longer exists.")
        workspace, match = found
        if match.status != "settled":
            return Outcome(False, "This was already undone; nothing changed.")
        rows = await matches.undo(session, match)
        clicked = await _context(session, workspace, match)
        numbers = list(dict.fromkeys([r.number for r in rows] + list(match.candidates.get("numbers", []))))
        open_now = await invoice_store.by_numbers(session, workspace.id, numbers)
        asked = question(match, clicked.tx, clicked.account, [open_now[n] for n in numbers if n in open_now][:3])
        if match.question_outbox_id is None:  # it was decided automatically: there was no question yet
            message = await notify(session, workspace, asked, now=now)
            match.question_outbox_id = message.id if message else None
        restored = ", ".join(r.number for r in rows)
        text = f"<@{user}> undid it: {restored} open again."
        return Outcome(True, text, question=asked, question_message=clicked.location)
