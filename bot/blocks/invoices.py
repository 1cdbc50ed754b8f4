"""Invoice messages: marked paid or part payment (with Undo), the question with a button per candidate.

Outside text (invoice numbers, names, bank communications) is escaped; the app's own mentions and
dates are not.
"""

from __future__ import annotations

from worker.notices import BankLineView, InvoicePaid, InvoiceView, MatchQuestion
from worker.views import Closing

from ..formatting import escape_mrkdwn as esc, mention, money, slack_date
from .kit import Block, Message, actions, button, confirm, context, section


def bank_line_text(line: BankLineView, locale: str) -> str:
    when = line.execution_date.strftime("%d %b %Y") if line.execution_date else ""
    who = esc(line.counterpart or "unknown")
    text = esc((line.remittance or "")[:140])
    direction = "from" if line.amount >= 0 else "to"  # money out pays a supplier
    return f"{money(line.amount, line.currency, locale, exact=line.amount_exact)} {direction} {who} on {when}" + (
        f" · _{text}_" if text else ""
    )


HEADLINE_NUMBERS = 5  # a transfer can settle dozens of invoices: the headline names a few, the rows list them


def invoice_numbers(invoices: list[InvoiceView], shown: int = HEADLINE_NUMBERS) -> str:
    """ "A, B and 38 more", escaped."""
    named = esc(", ".join(i.number for i in invoices[:shown]))
    return named if len(invoices) <= shown else f"{named} and {len(invoices) - shown} more"


def payment_headline(notice: InvoicePaid, locale: str) -> str:
    """ "Invoice X marked paid" only when nothing remains; otherwise what was received and what is open."""
    invoices, currency = notice.invoices, notice.line.currency
    numbers = invoice_numbers(invoices)
    applied = sum(i.applied or 0 for i in invoices)
    remaining = sum(i.remaining for i in invoices)
    if remaining:
        return (
            f"Part payment on {numbers}: {money(applied, currency, locale)} "
            f"{'received' if notice.line.amount >= 0 else 'paid'}, "
            f"{money(remaining, currency, locale)} still open"
        )
    headline = f"Invoice {numbers} marked paid" if len(invoices) == 1 else f"Invoices {numbers} marked paid"
    received = abs(notice.line.amount)
    if received < applied:
        headline += f" ({money(applied - received, currency, locale)} difference written off as bank fees)"
    elif received > applied:
        headline += f" ({money(received - applied, currency, locale)} left over: paid more than was due)"
    return headline


def _invoice_row(invoice: InvoiceView, locale: str) -> str:
    rest = f" · *{money(invoice.remaining, invoice.currency, locale)} still open*" if invoice.remaining else ""
    return (
        f"*{esc(invoice.number)}* {esc(invoice.customer or '')}: "
        f"{money(invoice.applied or invoice.amount, invoice.currency, locale)} of "
        f"{money(invoice.amount, invoice.currency, locale)}{rest}"
    )


def invoice_paid(notice: InvoicePaid, locale: str) -> Message:
    headline = payment_headline(notice, locale)
    who = (
        "Matched automatically: " + esc("; ".join(notice.how))
        if notice.by == "auto"
        else f"Chosen by {mention(notice.by)}"
    )
    rows = "\n".join(_invoice_row(i, locale) for i in notice.invoices)
    numbers = ", ".join(i.number for i in notice.invoices[:HEADLINE_NUMBERS])
    if len(notice.invoices) > HEADLINE_NUMBERS:
        numbers += f" and {len(notice.invoices) - HEADLINE_NUMBERS} more"
    facts = context(f"Bank line: {bank_line_text(notice.line, locale)}", who[:500])
    if notice.undone_by:
        when = f" {slack_date(notice.undone_at)}" if notice.undone_at else ""
        text = f"Undone: {headline}"
        body = f":leftwards_arrow_with_hook: ~{headline}~\n*Undone by {mention(notice.undone_by)}{when}*: open again."
        return text, [section(body), section(rows), facts]
    undo = button(
        "match_undo",
        "Undo",
        str(notice.match_id),
        confirm=confirm(
            "Undo this?", f"{numbers[:200]} will be open again and the payment asked about.", "Undo", "Keep"
        ),
    )
    return f"{headline}: {bank_line_text(notice.line, locale)}", [
        section(f":white_check_mark: *{headline}*\n{rows}"),
        facts,
        actions(undo),
    ]


def paid_reply(notice: InvoicePaid, locale: str) -> str:
    """The private answer to the person who chose."""
    return f"Done: {payment_headline(notice, locale)}."


def _dialog(amount: int, candidate: InvoiceView, locale: str) -> dict[str, object]:
    """The confirm dialog says what the click will record: paid, or a part payment and what stays open."""
    number, currency = candidate.number, candidate.currency
    if amount < candidate.remaining:
        return confirm(
            "Record a part payment?",
            f"{money(amount, currency, locale)} of this payment goes to {number}; "
            f"{money(candidate.remaining - amount, currency, locale)} stays open.",
            "Record part payment",
            "Cancel",
        )
    over = (
        f" {money(amount - candidate.remaining, currency, locale)} is left over."
        if amount > candidate.remaining
        else ""
    )
    return confirm(
        "Mark paid?", f"Invoice {number} will be marked paid with this payment.{over}", "Mark paid", "Cancel"
    )


def _buttons(notice: MatchQuestion, locale: str) -> list[Block]:
    amount, shown = abs(notice.line.amount), notice.candidates[:3]
    buttons: list[Block] = []
    if notice.together and len(notice.candidates) > 1:
        numbers = [c.number for c in notice.candidates]
        total = money(sum(c.remaining for c in notice.candidates), notice.line.currency, locale)
        buttons.append(
            button(
                "match_pick_all",
                f"All {len(numbers)} ({total})"[:75],
                f"{notice.match_id}:{'+'.join(numbers)}"[:2000],
                style="primary",
                confirm=confirm("Mark them paid?", f"{', '.join(numbers)} will be marked paid.", "Mark paid", "Cancel"),
            )
        )
    for n, c in enumerate(shown):
        label = f"{c.number} ({money(c.remaining, c.currency, locale)})"[:75]
        style = "primary" if n == 0 and not buttons else None
        value = f"{notice.match_id}:{c.number}"[:2000]
        buttons.append(button(f"match_pick_{n}", label, value, style=style, confirm=_dialog(amount, c, locale)))
    none_dialog = confirm(
        "Not an invoice payment?", "No invoice will be marked paid for this payment.", "Confirm", "Cancel"
    )
    buttons.append(button("match_pick_none", "Not an invoice payment", f"{notice.match_id}:none", confirm=none_dialog))
    return buttons


def _closing(closing: Closing, locale: str) -> str:
    numbers = esc(", ".join(closing.invoices))
    if closing.how == "chosen":
        return f"{numbers} chosen by {mention(closing.by)}"
    if closing.how == "dismissed":
        return f"Not an invoice payment ({mention(closing.by)})"
    paid = [
        f"{esc(p.number)} was paid"
        + (f" by {esc(p.paid_by)}" if p.paid_by else "")
        + (f" on {p.paid_on:%d %b %Y}" if p.paid_on else "")
        for p in closing.elsewhere
    ]
    return "; ".join(paid) + "; nothing left to choose for this payment"


def match_question(notice: MatchQuestion, locale: str) -> Message:
    line = bank_line_text(notice.line, locale)
    if notice.closing is not None:
        text = f"Payment {line}: {_closing(notice.closing, locale)}"
        return text, [section(f":ballot_box_with_check: {text}")]
    shown = notice.candidates[:3]
    listing = [
        f"• *{esc(c.number)}* {esc(c.customer or '')}: {money(c.remaining, c.currency, locale)} open" for c in shown
    ]
    if notice.together and len(notice.candidates) > 1:
        listing.insert(0, "Together these add up to the payment:")
    why = esc("; ".join(notice.reasons))[:500]
    return f"Which invoice does this pay? {line}", [
        section(f":question: *Which invoice does this payment settle?*\n{line}"),
        section("\n".join(listing) or "No open invoice fits well."),
        context(f"Why asked: {why or '-'}"),
        actions(*_buttons(notice, locale), block_id=f"match:{notice.match_id}"),
    ]
