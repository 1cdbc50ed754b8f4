"""The App Home read model: the connection and what to do about it, each account, receivables and payables,
the questions waiting, the last invoices paid (plain values; bot/blocks/home.py draws them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from invoices.model import KINDS
from storage import matches, workspaces
from storage.models import Allocation, InvoiceRow, Match, Workspace

from .invoice_views import posted_in
from .notices import MatchQuestion
from .questions import current_question
from .status import Status, status

QUESTIONS_SHOWN = 10  # each takes four blocks of the view's hundred
PAID_SHOWN = 10


@dataclass(frozen=True)
class Ledger:
    """Open invoices of one side (sales: receivables; purchase: payables)."""

    side: str
    open_count: int = 0
    overdue_count: int = 0
    totals: dict[str, int] = field(default_factory=dict)  # currency -> still open, minor units


@dataclass(frozen=True)
class PaidInvoice:
    number: str
    counterparty: str | None
    amount: int
    currency: str
    paid_at: datetime | None
    by: str | None  # "auto" or the Slack user who confirmed


@dataclass(frozen=True)
class Home:
    status: Status
    ledgers: list[Ledger]
    questions: list[tuple[MatchQuestion, tuple[str, str] | None]]  # with where the channel shows it
    more_questions: int
    paid: list[PaidInvoice]


async def home(session: AsyncSession, team_id: str, *, today: date) -> Home:
    current = await status(session, team_id)
    workspace = await workspaces.get_by_team(session, team_id)
    if workspace is None:
        return Home(current, [], [], 0, [])
    return Home(
        current,
        await _ledgers(session, workspace.id, today),
        *await _questions(session, workspace),
        await _paid(session, workspace.id),
    )


async def _ledgers(session: AsyncSession, workspace_id: int, today: date) -> list[Ledger]:
    rows = await session.execute(
        select(InvoiceRow.kind, InvoiceRow.currency, InvoiceRow.amount, InvoiceRow.settled, InvoiceRow.due_date).where(
            InvoiceRow.workspace_id == workspace_id, InvoiceRow.status == "open"
        )
    )
    counts: dict[str, list[int]] = {}  # side -> [open, overdue]
    totals: dict[str, dict[str, int]] = {}  # side -> currency -> open amount
    for kind, currency, amount, settled, due in rows:
        side, document = KINDS.get(kind, ("sales", "invoice"))
        count = counts.setdefault(side, [0, 0])
        count[0] += 1
        count[1] += due is not None and due < today
        by_currency = totals.setdefault(side, {})
        by_currency[currency] = by_currency.get(currency, 0) + (-1 if document == "credit_note" else 1) * (
            amount - settled
        )
    return [
        Ledger(side, counts[side][0], counts[side][1], totals[side]) for side in ("sales", "purchase") if side in counts
    ]


async def _questions(
    session: AsyncSession, workspace: Workspace
) -> tuple[list[tuple[MatchQuestion, tuple[str, str] | None]], int]:
    waiting = await matches.pending(session, workspace.id)
    shown = []
    for match in waiting[-QUESTIONS_SHOWN:]:  # the newest
        shown.append((await current_question(session, workspace, match), await posted_in(session, match)))
    return shown, max(0, len(waiting) - QUESTIONS_SHOWN)


async def _paid(session: AsyncSession, workspace_id: int) -> list[PaidInvoice]:
    rows = await session.execute(
        select(InvoiceRow, Match.settled_at, Match.settled_by)
        .join(Allocation, Allocation.invoice_id == InvoiceRow.id)
        .join(Match, Match.id == Allocation.match_id)
        .where(InvoiceRow.workspace_id == workspace_id, InvoiceRow.status == "paid", Match.status == "settled")
        .order_by(Match.settled_at.desc(), InvoiceRow.id.desc())
        .limit(PAID_SHOWN * 3)
    )
    paid: dict[int, PaidInvoice] = {}
    for invoice, settled_at, settled_by in rows:
        if invoice.id not in paid and len(paid) < PAID_SHOWN:
            paid[invoice.id] = PaidInvoice(
                invoice.number, invoice.counterparty_name, invoice.amount, invoice.currency, settled_at, settled_by
            )
    return list(paid.values())
