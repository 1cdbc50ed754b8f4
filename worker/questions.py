"""Questions that stay true: rebuilt from what is open now whenever one of their invoices changes.

A question offers the invoices the matcher named (stored on the match). When one of them is paid
another way, or opens again after an Undo, every unanswered question naming it is edited in place;
a question with nothing left to offer closes, saying who paid what.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import accounts as account_store, invoices as invoice_store, matches, outbox, transactions
from storage.models import BankAccount, BankTransaction, InvoiceRow, Match, Workspace

from .mappers import invoice_view, line_view
from .notices import MatchQuestion, encode
from .views import Closing, PaidElsewhere


async def current_question(
    session: AsyncSession,
    workspace: Workspace,
    match: Match,
    *,
    known: Mapping[str, InvoiceRow] | None = None,
    line: tuple[BankTransaction, BankAccount | None] | None = None,
) -> MatchQuestion:
    """The question as it should read now: only the named invoices still open, with what is open on each.

    `known`: invoice rows the caller holds already (by number); read only when one is missing.
    `line`: the match's bank line and its account, when the caller holds them (else they are read)."""
    if line is None:
        found = await session.get(BankTransaction, match.transaction_id)
        assert found is not None
        line = (found, await session.get(BankAccount, found.account_id))
    tx, account = line
    numbers: list[str] = list(match.candidates.get("numbers", []))
    if known is not None and all(n in known for n in numbers):
        rows = {n: known[n] for n in numbers}
    else:
        rows = await invoice_store.by_numbers(session, workspace.id, numbers)
    open_rows = [rows[n] for n in numbers if n in rows and rows[n].status == "open"]
    together = bool(match.candidates.get("together")) and len(open_rows) == len(numbers)
    question = MatchQuestion(
        match_id=match.id,
        line=line_view(tx, account),
        reasons=list(match.candidates.get("reasons", [])),
        candidates=[invoice_view(r) for r in open_rows],
        together=together,
    )
    if open_rows or not numbers:
        return question
    elsewhere = []
    for number in numbers:
        paid = rows.get(number)
        payer = await matches.paying_line(session, paid.id) if paid is not None else None
        elsewhere.append(
            PaidElsewhere(number, payer.counterpart_name if payer else None, payer.execution_date if payer else None)
        )
    closing = Closing("paid_elsewhere", elsewhere=elsewhere)
    return MatchQuestion(match_id=match.id, line=question.line, reasons=question.reasons, closing=closing)


async def refresh_questions(
    session: AsyncSession,
    workspace: Workspace,
    numbers: Iterable[str],
    *,
    now: datetime,
    skip: int | None = None,
    questions: Iterable[Match] | None = None,
    known: Mapping[str, InvoiceRow] | None = None,
) -> int:
    """Edit every unanswered question naming these invoices; close those with nothing left. Returns how many.

    `questions`: the unanswered ones naming them, when the caller keeps track (else they are read);
    `known`: invoice rows the caller holds (see current_question)."""
    naming = await matches.pending_naming(session, workspace.id, set(numbers)) if questions is None else questions
    naming = [match for match in naming if match.id != skip]
    # Read together, not one query per question: a burst that pays many invoices edits many questions.
    lines = {tx.id: tx for tx in await transactions.by_ids(session, [m.transaction_id for m in naming])}
    accounts = {a.id: a for a in await account_store.by_ids(session, {tx.account_id for tx in lines.values()})}
    messages = await outbox.by_ids(session, [m.question_outbox_id for m in naming if m.question_outbox_id is not None])
    for match in naming:
        tx = lines[match.transaction_id]
        line = (tx, accounts.get(tx.account_id))
        question = await current_question(session, workspace, match, known=known, line=line)
        if question.closing is not None:
            match.status = "none"  # nothing left to choose: the line is decided again when invoices arrive
        message = messages.get(match.question_outbox_id) if match.question_outbox_id is not None else None
        if message is not None:
            await outbox.revise_message(session, message, encode(question), now=now, flush=False)
    await session.flush()
    return len(naming)
