"""Feed the pure matcher from the database and write its decisions in the caller's transaction.

A clear payment allocates the money and queues "marked paid"; an ambiguous one queues a question.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from itertools import groupby

from sqlalchemy.ext.asyncio import AsyncSession

from invoices import Invoice
from matching import Decision, Matcher
from storage import (
    accounts as account_store,
    invoices as invoice_store,
    matches,
    payments as payment_store,
    transactions,
    workspaces,
)
from storage.models import Allocation, BankAccount, BankTransaction, InvoiceRow, Match, OutboxMessage, Workspace

from . import metrics
from .mappers import bank_line, invoice_data, invoice_view, line_view, residual_item
from .notices import InvoicePaid
from .notify import stage
from .questions import current_question, refresh_questions


class MatchingBatch:
    """One matcher for a batch of lines: the open invoices and the unanswered questions are read once,
    and kept true as the batch allocates and asks, so a line costs no reading; lines that match nothing
    are written together at the end of each call."""

    def __init__(
        self, workspace: Workspace, rows: Sequence[InvoiceRow], matcher: Matcher | None, questions: Sequence[Match]
    ) -> None:
        self.workspace = workspace
        self.by_number = {row.number: row for row in rows}
        self.by_id = {row.id: row for row in rows}
        self.matcher = matcher
        self.questions: dict[str, list[int]] = {}  # invoice number -> unanswered questions (ids) naming it
        for match in questions:
            self._remember(match)

    @classmethod
    async def load(cls, session: AsyncSession, workspace: Workspace) -> MatchingBatch:
        rows = await invoice_store.open_rows(session, workspace.id)
        if not rows:
            return cls(workspace, rows, None, [])
        links = await matches.links(session, workspace.id)
        items = [residual_item(r) for r in rows]
        matcher = await asyncio.to_thread(Matcher, items, links)  # building the index is CPU: off the event loop
        return cls(workspace, rows, matcher, await matches.pending(session, workspace.id))

    async def match(
        self, session: AsyncSession, account: BankAccount, created: Sequence[BankTransaction], *, now: datetime
    ) -> int:
        """Decide every new booked line; auto decisions are applied, questions queued. Returns messages queued.

        Everything is decided first (allocations applied to the invoices held in memory, the matcher
        told), then written in a few statements: the match rows, their allocations and messages in line
        order. A question is built from what is open after the whole batch, so it is true when posted."""
        if self.matcher is None:
            return 0
        booked = [tx for tx in created if not tx.pending]
        odd = {tx.id: _odd_amount(tx) for tx in booked if tx.amount_exact is not None}
        lines = [bank_line(tx) for tx in booked if tx.id not in odd]
        # Deciding is CPU (milliseconds a line at volume): a worker thread, so Slack's acks are not kept waiting.
        decisions = iter(await asyncio.to_thread(self.matcher.decide_all, lines))
        decided: list[tuple[BankTransaction, Decision, dict[int, int]]] = []
        for tx in booked:
            decision = odd.get(tx.id) or next(decisions)
            applied = self._apply(decision) if decision.decision == "auto" else {}
            decided.append((tx, decision, applied))
        for _tx, decision, _applied in decided:
            metrics.MATCHES.labels(decision.decision).inc()
        nothing = [(tx.id, "none", _stored(d)) for tx, d, _ in decided if d.decision == "none"]
        await matches.create_many(session, workspace_id=self.workspace.id, decisions=nothing, now=now)
        said = [
            (tx, d, applied, _match_row(self.workspace, tx, d, now))
            for tx, d, applied in decided
            if d.decision != "none"
        ]
        session.add_all([row for *_, row in said])
        await session.flush()  # the match ids, which the messages' buttons carry
        rows_by_id = self.by_id
        messages: list[tuple[Match, OutboxMessage, str]] = []
        for tx, decision, applied, match in said:
            if decision.decision == "auto":
                session.add_all([Allocation(match_id=match.id, invoice_id=i, amount=a) for i, a in applied.items()])
                paid = InvoicePaid(
                    match_id=match.id,
                    line=line_view(tx, account),
                    how=list(decision.reasons),
                    by="auto",
                    invoices=[invoice_view(rows_by_id[i], a) for i, a in applied.items()],
                )
                messages.append((match, stage(session, self.workspace, paid, now=now), "paid"))
            else:
                asked = await current_question(session, self.workspace, match, known=self.by_number, line=(tx, account))
                if asked.closing is not None:
                    match.status = "none"  # this batch paid every invoice it could name: nothing to choose
                messages.append((match, stage(session, self.workspace, asked, now=now), "question"))
        await session.flush()
        for match, message, kind in messages:
            if kind == "paid":
                match.paid_outbox_id = message.id
            else:
                match.question_outbox_id = message.id
        settled = [rows_by_id[i] for *_, a in decided for i in a]
        await self._refresh_earlier_questions(session, settled, now=now)
        # A payment started from Slack whose invoice this settled says "paid" at the follower's next round.
        await payment_store.check_now(session, {r.paying_payment_id for r in settled if r.paying_payment_id}, now=now)
        for _tx, _decision, _applied, match in said:
            if match.status == "pending":
                self._remember(match)
        return len(messages)

    def _apply(self, decision: Decision) -> dict[int, int]:
        """The money of an automatic decision on the invoice rows held (flushed with the batch); the
        matcher applied the same amounts to its items when it decided."""
        applied: dict[int, int] = {}
        for number, amount in decision.allocations.items():
            row = self.by_number[number]
            row.settled += amount
            row.status = "paid" if row.settled >= row.amount else "open"
            applied[row.id] = amount
        return applied

    async def _refresh_earlier_questions(
        self, session: AsyncSession, paid: Sequence[InvoiceRow], *, now: datetime
    ) -> None:
        """Questions asked before this batch that name an invoice it paid: each edited once."""
        numbers = {row.number for row in paid}
        ids = sorted({i for n in numbers for i in self.questions.get(n, [])})
        if not ids:
            return
        naming = await matches.by_ids(session, ids)  # held as ids: a long burst asks thousands of questions
        await refresh_questions(session, self.workspace, numbers, now=now, questions=naming, known=self.by_number)
        for question in naming:
            if question.status != "pending":
                self._forget(question)

    def _remember(self, match: Match) -> None:
        for number in match.candidates.get("numbers", []):
            self.questions.setdefault(number, []).append(match.id)

    def _forget(self, match: Match) -> None:
        for number in match.candidates.get("numbers", []):
            held = self.questions.get(number, [])
            if match.id in held:
                held.remove(match.id)


def _match_row(workspace: Workspace, tx: BankTransaction, decision: Decision, now: datetime) -> Match:
    auto = decision.decision == "auto"
    return Match(
        workspace_id=workspace.id,
        transaction_id=tx.id,
        decision=decision.decision,
        status="settled" if auto else "pending",
        candidates=_stored(decision),
        created_at=now,
        settled_by="auto" if auto else None,
        settled_at=now if auto else None,
    )


def _stored(decision: Decision) -> dict[str, object]:
    """What a match row keeps of the decision (the question is rebuilt from it)."""
    return {
        "numbers": decision.candidates,
        "reasons": decision.reasons,
        "invoices": decision.invoices,
        "together": decision.together,
    }


async def match_transactions(
    session: AsyncSession,
    workspace: Workspace,
    account: BankAccount,
    created: Sequence[BankTransaction],
    *,
    now: datetime,
) -> int:
    """Decide one account's new lines against the open invoices. Returns messages queued."""
    if not any(not tx.pending for tx in created):
        return 0
    batch = await MatchingBatch.load(session, workspace)
    return await batch.match(session, account, created, now=now)


def _odd_amount(tx: BankTransaction) -> Decision:
    """Never a guess: an amount finer than the currency cannot be "exactly" an invoice's."""
    why = f"the bank reported {tx.amount_exact} {tx.currency}, more decimals than the currency has"
    return Decision(str(tx.id), "none", reasons=[why])


async def match_stored(session: AsyncSession, workspace: Workspace, *, now: datetime, limit: int = 2000) -> int:
    """After invoices arrive: decide again the stored bank lines that had no decision or matched nothing."""
    rows = await transactions.undecided(session, workspace.id, limit=limit)
    if not rows:
        return 0
    await matches.forget_unmatched(session, [tx.id for tx in rows])
    batch = await MatchingBatch.load(session, workspace)
    accounts = {a.id: a for a in await account_store.by_ids(session, {tx.account_id for tx in rows})}
    queued = 0
    for account_id, run in groupby(rows, key=lambda tx: tx.account_id):  # in their order, a run per account
        account = accounts.get(account_id)
        if account is not None:
            queued += await batch.match(session, account, list(run), now=now)
    return queued


async def import_and_match(
    session: AsyncSession, workspace: Workspace, parsed: Sequence[Invoice], *, source: str, now: datetime
) -> tuple[invoice_store.ImportResult, int]:
    """Store the invoices, then look for their payments among the lines already stored."""
    result = await invoice_store.upsert(session, workspace.id, [invoice_data(i) for i in parsed], source=source)
    return result, await match_stored(session, workspace, now=now)


async def workspace_for_import(session: AsyncSession, team_id: str | None) -> Workspace:
    """The workspace invoices belong to: the given team, or the only one there is."""
    if team_id:
        workspace = await workspaces.get_by_team(session, team_id)
        if workspace is None:
            raise LookupError(f"no workspace {team_id}; run /ponto activate in that Slack workspace first")
        return workspace
    rows = await workspaces.all_workspaces(session)
    if len(rows) != 1:
        raise LookupError(
            "no workspace yet: run /ponto activate in Slack first"
            if not rows
            else f"{len(rows)} workspaces: say which with --team (one of {', '.join(r.team_id for r in rows)})"
        )
    return rows[0]
