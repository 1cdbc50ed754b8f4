"""Invoice messages: marked paid (with Undo), the question with a button per candidate, lists."""

from __future__ import annotations

from worker.invoice_views import Waiting
from worker.notices import BankLineView, InvoicePaid, InvoiceView, MatchQuestion

from ..formatting import escape_mrkdwn, money
from .kit import Block, Message, actions, button, confirm, context, section

LISTED = 40  # invoices listed by /ponto invoices before "and N more"


def _line(line: BankLineView, locale: str) -> str:
    when = line.execution_date.strftime("%d %b %Y") if line.execution_date else ""
    who = escape_mrkdwn(line.counterpart or "unknown")
    text = escape_mrkdwn((line.remittance or "")[:140])
    return f"{money(line.amount, line.currency, locale)} from {who} on {when}" + (f" · _{text}_" if text else "")


def invoice_paid(notice: InvoicePaid, locale: str) -> Message:
    invoices = notice.invoices
    numbers = ", ".join(i.number for i in invoices)
    title = f"Invoice {numbers} marked paid" if len(invoices) == 1 else f"Invoices {numbers} marked paid"
    rows = []
    for i in invoices:
        rest = f" · *{money(i.remaining, i.currency, locale)} remains open*" if i.remaining else ""
        rows.append(
            f"*{escape_mrkdwn(i.number)}* {escape_mrkdwn(i.customer or '')}: "
            f"{money(i.applied or i.amount, i.currency, locale)} of {money(i.amount, i.currency, locale)}{rest}"
        )
    how = "; ".join(notice.how)
    text = f"{title}: {_line(notice.line, locale)}"
    undo = button(
        "match_undo",
        "Undo",
        str(notice.match_id),
        confirm=confirm(
            "Undo this?", f"{numbers[:200]} will be open again and the payment asked about.", "Undo", "Keep"
        ),
    )
    return text, [
        section(f":white_check_mark: *{escape_mrkdwn(title)}*\n" + "\n".join(rows)),
        context(f"Bank line: {_line(notice.line, locale)}", f"How: {escape_mrkdwn(how)[:500]}"),
        actions(undo),
    ]


def _candidate_button(match_id: int, n: int, candidate: InvoiceView, locale: str) -> Block:
    label = f"{candidate.number} ({money(candidate.remaining, candidate.currency, locale)})"[:75]
    return button(
        f"match_pick_{n}",
        label,
        f"{match_id}:{candidate.number}"[:2000],
        style="primary" if n == 0 else None,
        confirm=confirm(
            "Mark paid?", f"Invoice {candidate.number} will be marked paid with this payment.", "Mark paid", "Cancel"
        ),
    )


def match_question(notice: MatchQuestion, locale: str) -> Message:
    line = _line(notice.line, locale)
    if notice.settled:
        text = f"Payment {line}: {notice.settled}"
        return text, [section(f":ballot_box_with_check: {escape_mrkdwn(text)}")]
    shown = notice.candidates[:3]
    listing = [
        f"• *{escape_mrkdwn(c.number)}* {escape_mrkdwn(c.customer or '')}: "
        f"{money(c.remaining, c.currency, locale)} open"
        for c in shown
    ]
    buttons = [_candidate_button(notice.match_id, n, c, locale) for n, c in enumerate(shown)]
    buttons.append(
        button(
            "match_pick_none",
            "Not an invoice payment",
            f"{notice.match_id}:none",
            confirm=confirm(
                "Not an invoice payment?", "No invoice will be marked paid for this payment.", "Confirm", "Cancel"
            ),
        )
    )
    text = f"Which invoice does this pay? {line}"
    why = "; ".join(notice.reasons)[:500]
    return text, [
        section(f":question: *Which invoice does this payment settle?*\n{line}"),
        section("\n".join(listing) or "No open invoice fits well."),
        context(f"Why asked: {escape_mrkdwn(why) or '-'}"),
        actions(*buttons, block_id=f"match:{notice.match_id}"),
    ]


def open_invoices(rows: list[InvoiceView], locale: str) -> Message:
    if not rows:
        return "No open invoices.", [section("No open invoices.")]
    totals: dict[str, int] = {}
    for r in rows:
        totals[r.currency] = totals.get(r.currency, 0) + r.remaining
    lines = [
        f"• *{escape_mrkdwn(r.number)}* {escape_mrkdwn(r.customer or '')}: {money(r.remaining, r.currency, locale)}"
        + (f" due {r.due_date:%d %b}" if r.due_date else "")
        for r in rows[:LISTED]
    ]
    total = " · ".join(money(v, c, locale) for c, v in sorted(totals.items()))
    more = f"\n…and {len(rows) - LISTED} more" if len(rows) > LISTED else ""
    text = f"{len(rows)} open invoices, total {total}"
    return text, [section(f"*{text}*"), section("\n".join(lines)[:2900] + more)]


def unmatched(rows: list[Waiting], locale: str) -> Message:
    if not rows:
        return "No payment waits for a decision.", [section("No payment waits for a decision.")]
    lines = [f"• {_line(r.line, locale)} → {', '.join(r.candidates) or 'no candidate'}" for r in rows[:30]]
    text = f"{len(rows)} payments wait for a decision (answer the questions in the channel)"
    return text, [section(f"*{text}*"), section("\n".join(lines)[:2900])]
