"""Read models for `/ponto invoices` and `/ponto unmatched`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage import invoices as invoice_store, matches, workspaces
from storage.models import BankTransaction

from .mappers import invoice_view, line_view
from .notices import BankLineView, InvoiceView


@dataclass(frozen=True)
class Waiting:
    """A payment whose question nobody answered yet."""

    match_id: int
    line: BankLineView
    candidates: list[str]


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
        tx = await session.get(BankTransaction, match.transaction_id)
        if tx is not None:
            out.append(Waiting(match.id, line_view(tx, None), list(match.candidates.get("numbers", []))))
    return out
