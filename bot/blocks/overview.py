"""The accounts overview posted to the finance channel after a connection, and the goodbye."""

from __future__ import annotations

from i18n import N_, _
from worker.notices import AccountsOverview, AccountView, Disconnected

from ..formatting import escape_mrkdwn, iban, mention, money
from .kit import Block, Message, context, header, section

LINES_PER_SECTION = 12  # keeps each section far below Slack's 3,000-character limit


def account_line(account: AccountView, locale: str) -> str:
    currency = account.currency
    balances = _(locale, "Current {current} · Available {available}").format(
        current=money(account.current_balance, currency, locale),
        available=money(account.available_balance, currency, locale),
    )
    return f"*{escape_mrkdwn(account.name)}* · `{iban(account.iban)}` · {currency}\n{balances}"


def accounts_overview(notice: AccountsOverview, locale: str) -> Message:
    accounts = notice.accounts
    organization = escape_mrkdwn(notice.organization_name or _(locale, "your Ponto organization"))
    count = N_(locale, "{count} account", "{count} accounts", len(accounts)).format(count=len(accounts))
    who = notice.connected_by
    if who:
        intro = _(locale, "{who} linked {count} of *{organization}*.").format(
            who=mention(who), count=count, organization=organization
        )
    else:
        intro = _(locale, "{count} of *{organization}* linked.").format(count=count, organization=organization)
    text = _(locale, "Ponto connected: {count} of {organization} linked").format(
        count=count, organization=escape_mrkdwn(notice.organization_name or _(locale, "the organization"))
    )
    blocks: list[Block] = [header(_(locale, "Bank accounts connected")), section(intro), {"type": "divider"}]
    lines = [account_line(account, locale) for account in accounts]
    for start in range(0, len(lines), LINES_PER_SECTION):
        blocks.append(section("\n\n".join(lines[start : start + LINES_PER_SECTION])))
    if not lines:
        blocks.append(section(_(locale, "No account was shared.")))
    blocks.append(context(_(locale, "New transactions and balances will be posted here.")))
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
