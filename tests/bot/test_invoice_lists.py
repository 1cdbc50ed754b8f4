"""`/ponto invoices`: receivables and payables apart, credit notes netted, due dates with years, overdue."""

from __future__ import annotations

from datetime import date

from bot.blocks.invoice_lists import open_invoices
from bot.formatting import money
from worker.views import InvoiceView

TODAY = date(2026, 11, 29)


def _invoice(number: str, customer: str, amount: int, kind: str, due: date | None) -> InvoiceView:
    return InvoiceView(number, customer, amount, "EUR", amount, kind=kind, due_date=due)


def test_receivables_and_payables_apart_with_credit_notes_netted_and_overdue_marked() -> None:
    rows = [
        _invoice("INV-2", "Acme NV", 50000, "sales", date(2027, 1, 15)),
        _invoice("INV-1", "Acme NV", 120000, "sales", date(2026, 11, 17)),
        _invoice("CN-1", "Acme NV", 20000, "sales_credit_note", date(2026, 12, 1)),
        _invoice("SUP-77", "Proximus SA", 81531, "purchase", date(2026, 12, 7)),
    ]
    text, blocks = open_invoices(rows, "en_BE", today=TODAY)
    body = [b["text"]["text"] for b in blocks]
    receivables = money(120000 + 50000 - 20000, "EUR", "en_BE")
    assert text == (
        f"Receivables: 3 open invoices, 1 overdue, total {receivables} · "
        f"Payables: 1 open invoice, total {money(81531, 'EUR', 'en_BE')}"
    )
    listing = body[1].splitlines()
    assert [line.split("*")[1] for line in listing] == ["INV-1", "CN-1", "INV-2"]  # by due date
    assert "overdue 12 days" in listing[0] and "due 17 Nov ·" in listing[0]  # this year: no year
    assert listing[1].startswith("• credit note *CN-1*") and money(-20000, "EUR", "en_BE") in listing[1]
    assert "due 15 Jan 2027" in listing[2] and "overdue" not in listing[2]  # another year: shown
    assert body[2] == f"• Acme NV: net {receivables} after credit notes"
    assert "SUP-77" in body[4] and "SUP-77" not in body[1]


def test_no_open_invoice() -> None:
    assert open_invoices([], "en_BE", today=TODAY)[0] == "No open invoices."
