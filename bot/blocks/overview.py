"""The accounts overview posted to the finance channel after a connection."""

from __future__ import annotations

from typing import Any

from ..formatting import escape_mrkdwn, iban, money

Message = tuple[str, list[dict[str, Any]]]
LINES_PER_SECTION = 12  # keeps each section far below Slack's 3,000-character limit


def account_line(account: dict[str, Any], locale: str) -> str:
    currency = account["currency"]
    return (
        f"*{escape_mrkdwn(account['name'])}* · `{iban(account['iban'])}` · {currency}\n"
        f"Current {money(account['current_balance'], currency, locale)} · "
        f"Available {money(account['available_balance'], currency, locale)}"
    )


def accounts_overview(payload: dict[str, Any], locale: str) -> Message:
    accounts = payload.get("accounts", [])
    organization = escape_mrkdwn(payload.get("organization_name") or "your Ponto organization")
    who = payload.get("connected_by")
    count = f"{len(accounts)} account{'s' if len(accounts) != 1 else ''}"
    intro = f"<@{who}> linked {count} of *{organization}*." if who else f"{count} of *{organization}* linked."
    text = f"Ponto connected: {count} of {payload.get('organization_name') or 'the organization'} linked"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Bank accounts connected"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
        {"type": "divider"},
    ]
    lines = [account_line(account, locale) for account in accounts]
    for start in range(0, len(lines), LINES_PER_SECTION):
        chunk = "\n\n".join(lines[start : start + LINES_PER_SECTION])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    if not lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "No account was shared."}})
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "New transactions and balances will be posted here."}],
        }
    )
    return text, blocks


def disconnected(payload: dict[str, Any]) -> Message:
    organization = escape_mrkdwn(payload.get("organization_name") or "Ponto")
    note = (
        ""
        if payload.get("revoked")
        else (" Ponto could not be reached to revoke access; remove the integration in the Ponto dashboard too.")
    )
    text = f"<@{payload.get('by')}> disconnected {organization}. No more bank updates will be posted.{note}"
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": f":electric_plug: {text}"}}]
