"""Re-importing an invoice says what changed, field by field; an unchanged one says nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.ext.asyncio import async_sessionmaker

from storage import invoices, workspaces
from storage.invoices import Change, InvoiceData

FIRST = InvoiceData("INV-1", "sales", date(2026, 10, 1), date(2026, 10, 31), "EUR", 10_000, None, "Acme", None, None)


async def test_a_reimport_names_the_fields_it_changed_and_only_those(sessions: async_sessionmaker) -> None:
    async with sessions.begin() as session:
        workspace = await workspaces.get_or_create(session, "T1", finance_channel="C1")
        other = replace(FIRST, number="INV-2")
        assert (await invoices.upsert(session, workspace.id, [FIRST, other], source="a")).changes == []
        result = await invoices.upsert(
            session, workspace.id, [replace(FIRST, amount=12_000, due_date=None), other], source="b"
        )
    assert (result.updated, result.unchanged) == (1, 1)
    assert result.changes == [
        Change("INV-1", "sales", {"due_date": (date(2026, 10, 31), None), "amount": (10_000, 12_000)}, "EUR")
    ]
