"""Paying supplier invoices: the payables list, the payment forms (modals), what the form shows while
Ponto works, and the channel's message about a payment, edited as it moves."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from worker.notices import PaymentUpdate
from worker.payment_forms import STATUS_WORDS, Draft, Payable
from worker.payment_rules import NAME_LIMIT, REMITTANCE_LIMIT, AccountChoice

from ..formatting import escape_mrkdwn as esc, iban, mention, money, plural
from .kit import Block, Message, button, context, plain, section

LISTED = 20  # payables with a Pay button each; more are named by `/ponto pay NUMBER`
OPTION_TEXT = 75  # Slack's limit on an option's text
SINGLE_FORM = "pay_single"
BULK_FORM = "pay_bulk"


def _due(day: date | None, today: date) -> str:
    if day is None:
        return ""
    late = (today - day).days
    return f" · :warning: *overdue {plural(late, 'day')}*" if late > 0 else f" · due {day:%d %b %Y}"


def _payable_text(row: Payable, locale: str, today: date) -> str:
    to = f" · {iban(row.iban)}" if row.iban else " · :warning: no IBAN on the invoice"
    text = f"*{esc(row.number)}* {esc(row.supplier)}: {money(row.open_amount, row.currency, locale)}{to}"
    text += _due(row.due_date, today)
    if row.held_by is not None:
        text += f"\n_Payment prepared by {mention(row.held_by.created_by)}: {STATUS_WORDS.get(row.held_by.status, '')}_"
    return text


def payables_list(rows: list[Payable], locale: str, *, today: date, may_pay: bool) -> Message:
    """`/ponto payables`: the open supplier invoices, each with a Pay button (for those who may pay)."""
    if not rows:
        return "No supplier invoices to pay.", [
            section("No supplier invoices to pay. Import them with the API or `ponto-slack invoices import`.")
        ]
    totals: dict[str, int] = {}
    for row in rows:
        totals[row.currency] = totals.get(row.currency, 0) + row.open_amount
    total = ", ".join(money(v, c, locale) for c, v in sorted(totals.items()))
    blocks: list[Block] = [section(f"*Supplier invoices to pay* ({len(rows)}): {total}")]
    for row in rows[:LISTED]:
        block = section(_payable_text(row, locale, today))
        if may_pay and row.held_by is None:
            block["accessory"] = button("pay_open", "Pay…", row.number)
        elif row.held_by is not None and row.held_by.status == "unsigned" and row.held_by.redirect_link:
            block["accessory"] = button(
                "pay_sign", "Sign at your bank", str(row.held_by.id), url=row.held_by.redirect_link
            )
        blocks.append(block)
    if len(rows) > LISTED:
        blocks.append(context(f"…and {len(rows) - LISTED} more: `/ponto pay NUMBER` pays any of them."))
    free = [r for r in rows if r.held_by is None and r.currency == "EUR"]
    if may_pay and len(free) >= 2:
        blocks.append(
            {
                "type": "actions",
                "elements": [button("pay_bulk_open", "Pay several at once…", "bulk", style="primary")],
            }
        )
    elif not may_pay:
        blocks.append(context("Only the people who administer the Ponto connection can start payments."))
    return f"Supplier invoices to pay: {len(rows)}", blocks


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, OPTION_TEXT), "value": value}


def _account_option(account: AccountChoice) -> dict[str, Any]:
    return _option(f"{account.name} · {account.iban} · {account.currency}", str(account.id))


def _text_input(name: str, label: str, value: str, *, limit: int, optional: bool = False, hint: str = "") -> Block:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": name, "max_length": limit}
    if value:
        element["initial_value"] = value[:limit]
    block: Block = {"type": "input", "block_id": name, "label": plain(label, 2000), "element": element}
    if optional:
        block["optional"] = True
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _account_input(draft: Draft) -> Block:
    options = [_account_option(a) for a in draft.accounts[:100]]
    chosen = next((o for o in options if o["value"] == draft.values.get("account")), options[0])
    return {
        "type": "input",
        "block_id": "account",
        "label": plain("Pay from"),
        "element": {"type": "static_select", "action_id": "account", "options": options, "initial_option": chosen},
    }


def _date_input(value: str) -> Block:
    return {
        "type": "input",
        "block_id": "date",
        "label": plain("Requested execution date"),
        "element": {"type": "datepicker", "action_id": "date", "initial_date": value},
    }


def metadata(numbers: list[str], channel: str, *, confirmed: int | None = None) -> str:
    """What the form carries to its submission (Slack keeps up to 3,000 characters)."""
    return json.dumps({"numbers": numbers, "channel": channel, "confirmed": confirmed}, separators=(",", ":"))[:3000]


def single_form(draft: Draft, locale: str, *, channel: str, confirm_amount: int | None = None) -> dict[str, Any]:
    """The modal for one invoice, filled in from it; `confirm_amount`: an amount above the open one, to confirm."""
    invoice = draft.invoices[0]
    values = draft.values
    open_amount = money(invoice.open_amount, invoice.currency, locale)
    summary = f"*{esc(invoice.number)}* from {esc(invoice.supplier)}: {open_amount} open"
    blocks: list[Block] = [section(summary)]
    if confirm_amount is not None:
        blocks.append(
            section(
                f":warning: {money(confirm_amount, draft.currency, locale)} is more than the "
                f"{money(invoice.open_amount, draft.currency, locale)} still open on this invoice. "
                "Submit again to pay it anyway, or change the amount."
            )
        )
    blocks += [
        _text_input("creditor", "Supplier (as the bank shows it)", values.get("creditor", ""), limit=NAME_LIMIT),
        _text_input("iban", "Supplier's IBAN", values.get("iban", ""), limit=42),
        _text_input(
            "bic", "BIC", values.get("bic", ""), limit=11, optional=True, hint="Only if the invoice gives one."
        ),
        _text_input("amount", f"Amount ({draft.currency})", values.get("amount", ""), limit=20),
        _text_input(
            "communication",
            "Communication",
            values.get("communication", ""),
            limit=REMITTANCE_LIMIT + 6,
            hint="A structured communication (+++123/4567/89012+++) is sent as such.",
        ),
        _date_input(values["date"]),
        _account_input(draft),
        context("Ponto prepares the payment; someone with signing rights signs it at the bank."),
    ]
    return {
        "type": "modal",
        "callback_id": SINGLE_FORM,
        "title": plain("Pay a supplier invoice"),
        "submit": plain("Prepare payment"),
        "close": plain("Cancel"),
        "private_metadata": metadata([invoice.number], channel, confirmed=confirm_amount),
        "blocks": blocks,
    }


def bulk_form(draft: Draft, payables: list[Payable], locale: str, *, channel: str, chosen: list[str]) -> dict[str, Any]:
    """The modal for several invoices at once (EUR, one account): each paid its open amount to the IBAN on
    it; `chosen`: the invoices already ticked."""
    eligible = [p for p in payables if p.currency == "EUR" and p.held_by is None][:100]

    def option(p: Payable) -> dict[str, Any]:
        return _option(f"{p.number} · {p.supplier} · {money(p.open_amount, p.currency, locale)}", p.number)

    invoices: Block = {
        "type": "input",
        "block_id": "invoices",
        "label": plain("Invoices"),
        "element": {
            "type": "multi_static_select",
            "action_id": "invoices",
            "options": [option(p) for p in eligible],
        },
    }
    initial = [option(p) for p in eligible if p.number in set(chosen)]
    if initial:
        invoices["element"]["initial_options"] = initial
    return {
        "type": "modal",
        "callback_id": BULK_FORM,
        "title": plain("Pay several invoices"),
        "submit": plain("Prepare payment"),
        "close": plain("Cancel"),
        "private_metadata": metadata(chosen, channel),
        "blocks": [
            section("One bulk payment in EUR: each invoice is paid what is open on it, to the IBAN on the invoice."),
            invoices,
            _text_input("reference", "Name (shown in Ponto)", draft.values.get("reference", ""), limit=NAME_LIMIT),
            _date_input(draft.values["date"]),
            _account_input(draft),
        ],
    }


def _notice_view(title: str, blocks: list[Block]) -> dict[str, Any]:
    return {"type": "modal", "title": plain(title), "close": plain("Close"), "blocks": blocks}


def preparing_view() -> dict[str, Any]:
    return _notice_view("Preparing payment", [section(":hourglass_flowing_sand: Preparing the payment at Ponto…")])


def signing_view(link: str, total: int, currency: str, locale: str, channel: str | None) -> dict[str, Any]:
    where = f" The channel {f'<#{channel}>' if channel else ''} is told when it is signed and paid.".replace("  ", " ")
    return _notice_view(
        "Sign the payment",
        [
            section(
                f":white_check_mark: Ponto prepared the payment of {money(total, currency, locale)}. "
                f"Sign it at your bank to send it.{where}"
            ),
            {
                "type": "actions",
                "elements": [button("pay_sign", "Sign at your bank", "sign", url=link, style="primary")],
            },
        ],
    )


def problem_view(problem: str, link: str | None = None, link_label: str = "Activate payments") -> dict[str, Any]:
    blocks: list[Block] = [section(f":x: {esc(problem, 2900)}")]
    if link:
        blocks.append({"type": "actions", "elements": [button("pay_activate", link_label, "activate", url=link)]})
    return _notice_view("Payment not prepared", blocks)


# -- the channel's message -------------------------------------------------------------------------------

_HEADLINE = {
    "unsigned": ":pencil: {what} prepared by {who}, *waiting for signature*",
    "signed": ":bank: {what} prepared by {who}: *signed*, waiting for the money to leave the account",
    "paid": ":white_check_mark: {what} prepared by {who}: *paid*",
    "rejected": ":x: {what} prepared by {who}: *rejected* at the bank; nothing was paid",
    "expired": ":hourglass: {what} prepared by {who}: *expired* unsigned; nothing was paid",
    "cancelled": ":no_entry_sign: {what} prepared by {who}: *cancelled*; nothing was paid",
    "failed": ":x: {what} prepared by {who}: *not created*",
}


def payment_update(notice: PaymentUpdate, locale: str) -> Message:
    lines = notice.lines
    total = money(notice.total, notice.currency, locale)
    if notice.bulk:
        what = f"Bulk payment of {len(lines)} invoices ({total})"
    elif lines:
        what = f"Payment of *{esc(lines[0].number)}* to {esc(lines[0].supplier)} ({total})"
    else:
        what = f"Payment ({total})"
    template = _HEADLINE.get(notice.status, "{what} prepared by {who}: {status}")
    headline = template.format(what=what, who=mention(notice.prepared_by), status=esc(notice.status, 40))
    detail = "\n".join(
        f"• *{esc(line.number)}* {esc(line.supplier)} · {iban(line.iban)} · "
        f"{money(line.amount, notice.currency, locale)} · {esc(line.communication)}"
        for line in lines[:30]
    )
    if len(lines) > 30:
        detail += f"\n…and {len(lines) - 30} more"
    when = f" · execution {notice.execution_date:%d %b %Y}" if notice.execution_date else ""
    blocks: list[Block] = [
        section(headline),
        section(detail),
        context(f"From {esc(notice.account_name)} ({iban(notice.account_iban)}){when}"),
    ]
    if notice.problem:
        blocks.append(context(esc(notice.problem, 1000)))
    plain_text = headline.replace("*", "")
    return plain_text, blocks
