"""The accounts overview posted to the finance channel after a connection, and the goodbye."""

from __future__ import annotations

from worker.notices import AccountsOverview, AccountView, Disconnected

from ..formatting import escape_mrkdwn, iban, mention, money, plural
from .kit import Block, Message, context, header, section

LINES_PER_SECTION = 12  # keeps each section far below Slack's 3,000-character limit


def account_line(account: AccountView, locale: str) -> str:
    currency = account.currency
    return (
        f"*{escape_mrkdwn(account.name)}* · `{iban(account.iban)}` · {currency}\n"
        f"Current {money(account.current_balance, currency, locale)} · "
        f"Available {money(account.available_balance, currency, locale)}"
    )


def accounts_overview(notice: AccountsOverview, locale: str) -> Message:
    accounts = notice.accounts
    organization = escape_mrkdwn(notice.organization_name or "your Ponto organization")
    count = plural(len(accounts), "account")
    who = notice.connected_by
    intro = f"{mention(who)} linked {count} of *{organization}*." if who else f"{count} of *{organization}* linked."
    text = f"Ponto connected: {count} of {escape_mrkdwn(notice.organization_name or 'the organization')} linked"
    blocks: list[Block] = [header("Bank accounts connected"), section(intro), {"type": "divider"}]
    lines = [account_line(account, locale) for account in accounts]
    for start in range(0, len(lines), LINES_PER_SECTION):
        blocks.append(section("\n\n".join(lines[start : start + LINES_PER_SECTION])))
    if not lines:
        blocks.append(section("No account was shared."))
    blocks.append(context("New transactions and balances will be posted here."))
    return text, blocks


def disconnected(notice: Disconnected, _locale: str) -> Message:
    organization = escape_mrkdwn(notice.organization_name or "Ponto")
    note = (
        ""
        if notice.revoked
        else " Ponto could not be reached to revoke access; remove the integration in the Ponto dashboard too."
    )
    text = f"{mention(notice.by)} disconnected {organization}. No more bank updates will be posted.{note}"
    return text, [section(f":electric_plug: {text}")]
