"""Read models for `/ponto invoices` and `/ponto unmatched`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage import invoices as invoice_store, matches, workspaces
from storage.models import Match, OutboxMessage

from .mappers import invoice_view
from .notices import BankLineView, InvoiceView
from .questions import current_question


@dataclass(frozen=True)
class Waiting:
    """A payment whose question nobody answered yet."""

    match_id: int
    line: BankLineView
    candidates: list[str]
    posted_in: tuple[str, str] | None = None  # (channel id, ts) of the question, once Slack has it


async def open_invoices(session: AsyncSession, team_id: str) -> list[InvoiceView]:
    workspace = await workspaces.get_by_team(session, team_id)
    if workspace is None:
        return []
    return [invoice_view(row) for row in await invoice_store.open_rows(session, workspace.id)]


async def unmatched(session: AsyncSession, team_id: str) -> list[Waiting]:
    workspace = await workspaces.get_by_team(session, team_id)
    if workspace is None:
        return []
    out = []
    for match in await matches.pending(session, workspace.id):
        question = await current_question(session, workspace, match)  # what the channel shows now
        where = await posted_in(session, match)
        out.append(Waiting(match.id, question.line, [c.number for c in question.candidates], where))
    return out


async def posted_in(session: AsyncSession, match: Match) -> tuple[str, str] | None:
    """(channel id, ts) of the match's question, once Slack has it."""
    posted = await session.get(OutboxMessage, match.question_outbox_id) if match.question_outbox_id else None
    if posted is None or not posted.slack_channel_id or not posted.slack_ts:
        return None
    return posted.slack_channel_id, posted.slack_ts
