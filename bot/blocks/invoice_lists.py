"""`/ponto invoices` and `/ponto unmatched`: what is owed to us and by us, and what waits for an answer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from worker.invoice_views import Waiting
from worker.notices import InvoiceView

from ..formatting import escape_mrkdwn as esc, money, plural
from .invoices import bank_line_text
from .kit import Block, Message, section

LISTED = 30  # invoices listed per side before "and N more"
SIDES = (("Receivables", ("sales", "sales_credit_note")), ("Payables", ("purchase", "purchase_credit_note")))


def _is_credit_note(invoice: InvoiceView) -> bool:
    return invoice.kind.endswith("credit_note")


def _signed(invoice: InvoiceView) -> int:
    """What the document still means for the total: a credit note takes its amount off."""
    return -invoice.remaining if _is_credit_note(invoice) else invoice.remaining


def _day(value: date, today: date) -> str:
    return f"{value:%d %b}" if value.year == today.year else f"{value:%d %b %Y}"


def _due(invoice: InvoiceView, today: date) -> str:
    if invoice.due_date is None:
        return ""
    late = (today - invoice.due_date).days
    if late > 0 and not _is_credit_note(invoice):
        return f" · due {_day(invoice.due_date, today)} · :warning: *overdue {plural(late, 'day')}*"
    return f" · due {_day(invoice.due_date, today)}"


def _row(invoice: InvoiceView, today: date, locale: str) -> str:
    label = "credit note " if _is_credit_note(invoice) else ""
    amount = money(_signed(invoice), invoice.currency, locale)
    return f"• {label}*{esc(invoice.number)}* {esc(invoice.customer or '')}: {amount}{_due(invoice, today)}"


def _netted(rows: list[InvoiceView], locale: str) -> list[str]:
    """Per customer with a credit note: what remains once the credit notes are taken off."""
    parties = {r.customer for r in rows if _is_credit_note(r)}
    lines = []
    for party in sorted(p for p in parties if p):
        mine = [r for r in rows if r.customer == party]
        for currency in sorted({r.currency for r in mine}):
            net = sum(_signed(r) for r in mine if r.currency == currency)
            lines.append(f"• {esc(party)}: net {money(net, currency, locale)} after credit notes")
    return lines


def _side(title: str, rows: list[InvoiceView], today: date, locale: str) -> tuple[str, list[Block]]:
    rows = sorted(rows, key=lambda r: (r.due_date or date.max, r.number))
    totals: dict[str, int] = {}
    for r in rows:
        totals[r.currency] = totals.get(r.currency, 0) + _signed(r)
    total = " · ".join(money(v, c, locale) for c, v in sorted(totals.items()))
    overdue = sum(1 for r in rows if r.due_date and r.due_date < today and not _is_credit_note(r))
    late = f", {overdue} overdue" if overdue else ""
    summary = f"{title}: {plural(len(rows), 'open invoice')}{late}, total {total}"
    lines = [_row(r, today, locale) for r in rows[:LISTED]]
    if len(rows) > LISTED:
        lines.append(f"…and {len(rows) - LISTED} more")
    blocks = [section(f"*{summary}*"), section("\n".join(lines)[:2900])]
    netted = _netted(rows, locale)
    if netted:
        blocks.append(section("\n".join(netted)[:2900]))
    return summary, blocks


def open_invoices(rows: list[InvoiceView], locale: str, *, today: date) -> Message:
    """Receivables and payables apart, sorted by due date, credit notes netted, overdue marked."""
    if not rows:
        return "No open invoices.", [section("No open invoices.")]
    summaries: list[str] = []
    blocks: list[Block] = []
    for title, kinds in SIDES:
        mine = [r for r in rows if r.kind in kinds]
        if mine:
            summary, side_blocks = _side(title, mine, today, locale)
            summaries.append(summary)
            blocks.extend(side_blocks)
    return " · ".join(summaries), blocks


def unmatched(rows: list[Waiting], locale: str, links: Mapping[int, str] | None = None) -> Message:
    """Each payment waiting for a decision, with a link to its question when Slack gave one."""
    if not rows:
        return "No payment waits for a decision.", [section("No payment waits for a decision.")]
    links = links or {}
    lines = [
        f"• {bank_line_text(r.line, locale)} → {esc(', '.join(r.candidates)) or 'no candidate'}"
        + (f"  <{links[r.match_id]}|answer>" if r.match_id in links else "")
        for r in rows[:30]
    ]
    waits = "payment waits" if len(rows) == 1 else "payments wait"
    text = f"{len(rows)} {waits} for a decision (answer the questions in the channel)"
    return text, [section(f"*{text}*"), section("\n".join(lines))]
