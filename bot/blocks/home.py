"""The App Home tab: how the connection is and what to do about it, each account, receivables and payables,
the questions waiting (with the channel's buttons), the last invoices paid."""

from __future__ import annotations

from typing import Any

from worker.home import Home, Ledger, PaidInvoice

from ..formatting import escape_mrkdwn, iban, money, slack_date
from .invoices import match_question
from .kit import Block, actions, button, context, divider, fit_lines, header, section

# Slack allows 100 blocks in a Home tab: at most 10 questions of 5 blocks and a fixed rest keep it
# well inside (tests/bot/test_home_view.py fills every part).
SIDES = {"sales": "Receivables", "purchase": "Payables"}


def home_view(home: Home, locale: str, *, admin: bool, links: dict[int, str]) -> dict[str, Any]:
    """`admin`: the reader may connect and reconnect (others are told whom to ask); `links`: permalinks
    of the questions, by match id."""
    blocks = [*_connection(home, locale, admin=admin)]
    if home.status.connection is not None and home.status.connection.status != "disconnected":
        blocks += [divider(), *_ledgers(home.ledgers, locale, admin=admin), divider()]
        blocks += _questions(home, locale, links)
        blocks += [divider(), *_paid(home.paid, locale)]
    return {"type": "home", "blocks": blocks}


def _connection(home: Home, locale: str, *, admin: bool) -> list[Block]:
    status = home.status
    connection = status.connection
    if connection is None or connection.status == "disconnected":
        blocks = [header("Ponto is not connected")]
        if admin:
            text = "Connect the company's bank accounts: you approve at Ponto, then the finance channel follows them."
            return [
                *blocks,
                section(text),
                actions(button("home_connect", "Connect with Ponto", "connect", style="primary")),
            ]
        return [*blocks, section("An admin of this workspace can connect it (`/ponto activate`).")]
    blocks = [header(f"Ponto: {connection.organization}")]
    if connection.status == "broken":
        what = "Ponto refused the stored access: reconnect to go on syncing."
        state = f":red_circle: *Needs reconnecting.* {what}" + ("" if admin else " Ask an admin.")
    else:
        last = slack_date(status.last_sync) if status.last_sync else "not yet"
        state = f":large_green_circle: Connected by <@{connection.connected_by}>; last sync {last}."
    problems = [
        f":warning: {escape_mrkdwn(p.name)} `{iban(p.iban)}`: "
        + (
            "the bank refused Ponto's access: an admin must renew it"
            if p.problem == "authorization"
            else "the bank does not answer; Ponto keeps trying"
        )
        for p in status.sync_problems
    ]
    if status.sync_error:
        problems.append(f":warning: The last sync failed: {escape_mrkdwn(status.sync_error[:200])}")
    if status.paused_reason:
        problems.append(":pause_button: Posting to the channel is on hold: `/ponto status` says why.")
    blocks.append(section("\n".join([state, *problems])))
    buttons = [button("home_sync", "Sync now", "sync")]
    if admin and connection.status == "broken":
        buttons.insert(0, button("reconnect", "Reconnect", "reconnect", style="primary"))
    blocks.append(actions(*buttons))
    accounts = [
        f"*{escape_mrkdwn(a.name)}* `{iban(a.iban)}`\n{money(a.current_balance, a.currency, locale)}"
        + (
            f" (available {money(a.available_balance, a.currency, locale)})"
            if a.available_balance != a.current_balance
            else ""
        )
        for a in status.accounts
    ]
    if accounts:
        blocks += [section(fit_lines("\n".join(accounts)))]
    return blocks


def _ledgers(ledgers: list[Ledger], locale: str, *, admin: bool) -> list[Block]:
    if not ledgers:
        return [section("*Invoices*: none imported yet. `ponto-slack invoices import FILE` or the API adds them.")]
    lines = []
    for ledger in ledgers:
        totals = ", ".join(money(amount, currency, locale) for currency, amount in sorted(ledger.totals.items()))
        overdue = f", *{ledger.overdue_count} overdue*" if ledger.overdue_count else ""
        lines.append(f"*{SIDES[ledger.side]}*: {ledger.open_count} open{overdue}: {totals}")
    blocks = [section("\n".join(lines))]
    if admin and any(ledger.side == "purchase" and ledger.open_count for ledger in ledgers):
        pay = button("pay_bulk_open", "Pay supplier invoices…", "bulk", style="primary")
        blocks += [actions(pay), context("Or `/ponto payables` for the list with a Pay button each.")]
    return blocks


def _questions(home: Home, locale: str, links: dict[int, str]) -> list[Block]:
    if not home.questions:
        return [section(":white_check_mark: No payment waits for an answer.")]
    blocks = [header(f"{len(home.questions) + home.more_questions} payment(s) wait for an answer")]
    for question, _where in reversed(home.questions):  # newest first
        _text, parts = match_question(question, locale)
        link = links.get(question.match_id)
        if link:
            parts.insert(2, context(f"<{link}|See it in the channel>"))
        blocks += parts
    if home.more_questions:
        blocks.append(context(f"…and {home.more_questions} older: `/ponto unmatched` lists them all."))
    return blocks


def _paid(paid: list[PaidInvoice], locale: str) -> list[Block]:
    if not paid:
        return [section("No invoice marked paid yet.")]
    lines = [
        f"• *{escape_mrkdwn(p.number)}* {escape_mrkdwn(p.counterparty or '')}: {money(p.amount, p.currency, locale)}"
        + (f", {slack_date(p.paid_at)}" if p.paid_at else "")
        + (" (matched automatically)" if p.by == "auto" else f" (<@{p.by}>)" if p.by else "")
        for p in paid
    ]
    return [header("Last invoices paid"), section(fit_lines("\n".join(lines)))]
