"""Answers to `/ponto status` and `/ponto help`."""

from __future__ import annotations

from worker.status import Status
from worker.sync import SyncReport

from ..formatting import channel, escape_mrkdwn, iban, money, slack_date
from ..slack_refusals import explain
from .kit import Message, actions, button, section

HELP_LINES = (  # (what to type, what it does, an example or None)
    (
        "activate",
        "connect (or reconnect) the company's Ponto organization; updates go to this channel; admins only",
        None,
    ),
    ("channel [#name]", "send the updates to this channel (or the one named); admins only", "/ponto channel #finance"),
    ("status", "the connection, its accounts and the last sync", None),
    ("sync", "ask Ponto for what is new now, instead of waiting for the next scheduled sync", None),
    (
        "transactions [IBAN or account name] [days]",
        "the latest transactions, newest first",
        "/ponto transactions BE68 5390 0754 7034 7",
    ),
    ("balance", "each account's balance, the change since the last summary, totals per currency", None),
    ("resume", "post again after Slack refused (channel archived, bot removed...)", None),
    ("invoices", "the open invoices and their total", None),
    ("unmatched", "the payments that wait for someone to say which invoice they pay", None),
    ("payables", "the supplier invoices still to pay, with a Pay button each", None),
    (
        "pay INVOICE... [from IBAN]",
        "pay a supplier invoice (several: one bulk payment) through Ponto; you sign at your bank; admins only",
        "/ponto pay INV-2026-001 from BE68 5390 0754 7034",
    ),
    ("language [nl|fr|en]", "the language the channel is told in; admins choose", "/ponto language nl"),
    ("deactivate", "disconnect Ponto and delete the stored tokens; admins only", None),
    ("help", "this list", None),
)
COMMANDS = tuple(usage.split(" ")[0] for usage, _what, _example in HELP_LINES)


def help_message(unknown: str | None = None, suggestion: str | None = None) -> Message:
    """Every command with one line and, where it takes arguments, an example; an unknown word is named,
    with the command it was probably meant to be."""
    lines = "\n".join(
        f"• `/ponto {usage}`: {what}" + (f" (e.g. `{example}`)" if example else "")
        for usage, what, example in HELP_LINES
    )
    head = ""
    if unknown:
        head = f"I don't know `/ponto {escape_mrkdwn(unknown)}`. "
        if suggestion:
            head += f"Did you mean `/ponto {suggestion}`? "
    text = f"{head}Commands:\n{lines}"
    return text, [section(text)]


SYNC_STARTED = ":arrows_counterclockwise: Syncing with Ponto: the banks are asked for what is new (up to a minute)…"


def sync_result(report: SyncReport) -> Message:
    """What `/ponto sync` did, replacing its progress note."""
    if report.skipped:
        text = "A sync of this connection is already running; the channel will show what it brings."
    elif report.error:
        text = (
            f":warning: The sync failed: {escape_mrkdwn(report.error[:200])}. "
            "`/ponto status` shows the connection; try again in a few minutes."
        )
    elif report.created or report.updated:
        text = (
            f":white_check_mark: Synced {report.accounts} account(s): {report.created} new and "
            f"{report.updated} corrected transaction(s); the channel shows them."
        )
    else:
        text = f":white_check_mark: Synced {report.accounts} account(s): nothing new since the last sync."
    return text, [section(text)]


def status_message(status: Status, locale: str) -> Message:
    connection = status.connection
    if connection is None or connection.status == "disconnected":
        text = "Ponto is not connected. An admin can connect it with `/ponto activate`."
        return text, [section(text)]
    name = escape_mrkdwn(connection.organization)
    state = {"active": ":large_green_circle: connected", "broken": ":red_circle: needs reconnecting"}.get(
        connection.status, connection.status
    )
    last_sync = status.last_sync
    lines = [
        f"*{name}*: {state} by <@{connection.connected_by}> on {slack_date(connection.connected_at)}",
        f"Finance channel: {channel(status.finance_channel)}",
        f"Last sync: {slack_date(last_sync) if last_sync else 'not yet'}",
    ]
    waiting, failed = status.outbox.get("pending", 0), status.outbox.get("failed", 0)
    if waiting or failed:
        lines.append(f"Messages waiting: {waiting}; failed: {failed}")
    if status.plain_text_messages:
        lines.append(
            f":warning: {status.plain_text_messages} message(s) went out as plain text: Slack refused their "
            "layout. The server log names them; please report it."
        )
    if status.paused_reason:
        lines.append(f":pause_button: Posting is on hold: {explain(status.paused_reason)} Then `/ponto resume`.")
    if status.sync_error:
        lines.append(f":warning: Last sync failed: {escape_mrkdwn(status.sync_error[:200])}")
    for problem in status.sync_problems:
        since = f" since {slack_date(problem.since)}" if problem.since else ""
        what = (
            "the bank refused Ponto's access: an admin must renew it"
            if problem.problem == "authorization"
            else "the bank does not answer Ponto; it keeps trying"
        )
        lines.append(f":red_circle: {escape_mrkdwn(problem.name)} `{iban(problem.iban)}`: {what}{since}")
    accounts = [
        f"• {escape_mrkdwn(a.name)} `{iban(a.iban)}` {a.currency}: {money(a.current_balance, a.currency, locale)}"
        for a in status.accounts
    ]
    text = "\n".join(lines + ["", f"{len(accounts)} account(s):", *accounts])
    blocks = [section("\n".join(lines)), section("\n".join(accounts) or "No accounts.")]
    renew = [p for p in status.sync_problems if p.problem == "authorization"][:5]
    if renew:
        blocks.append(actions(*(button("reauthorize", f"Renew {p.name}", p.account_id) for p in renew)))
    return text, blocks
