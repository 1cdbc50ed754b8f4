"""Transactions in the channel: one message each, a digest for bursts, the first import's summary."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..formatting import escape_mrkdwn, iban, money

Message = tuple[str, list[dict[str, Any]]]


def _signed(minor: int, currency: str, locale: str) -> str:
    text = money(abs(minor), currency, locale)
    return f"+{text}" if minor > 0 else f"−{text}"


def _day(value: str | None) -> str:
    return date.fromisoformat(value).strftime("%d %b %Y") if value else "date unknown"


def transaction(payload: dict[str, Any], locale: str) -> Message:
    amount = _signed(payload["amount"], payload["currency"], locale)
    incoming = payload["amount"] > 0
    who = payload.get("counterpart") or ("unknown sender" if incoming else "unknown payee")
    icon = ":moneybag:" if incoming else ":money_with_wings:"
    text = f"{amount} {'from' if incoming else 'to'} {who} on {payload['account_name']}"
    fields = [
        f"*Amount*\n{amount}",
        f"*{'From' if incoming else 'To'}*\n{escape_mrkdwn(who)}"
        + (f"\n`{iban(payload['counterpart_iban'])}`" if payload.get("counterpart_iban") else ""),
        f"*Account*\n{escape_mrkdwn(payload['account_name'])}\n`{iban(payload['account_iban'])}`",
        f"*Executed*\n{_day(payload.get('execution_date'))}",
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{icon} *{escape_mrkdwn(text)}*"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    if payload.get("remittance"):
        remittance = escape_mrkdwn(str(payload["remittance"]))[:2900]
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Communication: {remittance}"}]})
    return text, blocks


def transactions_digest(payload: dict[str, Any], locale: str) -> Message:
    count = payload["count"]
    shown = payload["transactions"]
    totals = " · ".join(
        f"in {money(t['in'], currency, locale)}, out {money(-t['out'], currency, locale)}"
        for currency, t in sorted(payload["totals"].items())
    )
    text = f"{count} new transactions on {payload['account_name']}: {totals}"
    lines = [
        f"{_signed(tx['amount'], tx['currency'], locale)}  {escape_mrkdwn(tx.get('counterpart') or '?')}"
        f"  _{escape_mrkdwn((tx.get('remittance') or '')[:60])}_"
        for tx in shown
    ]
    more = count - len(shown)
    if more > 0:
        lines.append(f"…and {more} more: `/ponto transactions {payload['account_iban']}`")
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{count} new transactions"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{escape_mrkdwn(payload['account_name'])}* `{iban(payload['account_iban'])}`\n{totals}",
            },
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2990]}},
    ]
    return text, blocks


def import_summary(payload: dict[str, Any], locale: str) -> Message:
    since = date.fromisoformat(payload["since"]).strftime("%d %b")
    accounts = payload["accounts"]
    text = (
        f"Imported {payload['count']} transactions from {accounts} account{'s' if accounts != 1 else ''} "
        f"since {since}. New transactions will appear here as they arrive."
    )
    detail = "\n".join(f"• {escape_mrkdwn(name)}: {n}" for name, n in payload.get("per_account", {}).items())
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f":inbox_tray: {text}"}}]
    if detail:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": detail[:2900]}]})
    return text, blocks


def transactions_list(rows: list[dict[str, Any]], *, title: str, locale: str, more_value: str | None) -> Message:
    """The answer to `/ponto transactions`, newest first, with a button for the next page."""
    if not rows:
        text = f"{title}: no transactions."
        return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    lines = [
        f"`{_day(r.get('execution_date'))}`  {_signed(r['amount'], r['currency'], locale)}  "
        f"{escape_mrkdwn(r.get('counterpart') or '?')}  _{escape_mrkdwn((r.get('remittance') or '')[:50])}_"
        for r in rows
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{escape_mrkdwn(title)}*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2990]}},
    ]
    if more_value:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "transactions_more",
                        "value": more_value,
                        "text": {"type": "plain_text", "text": "More"},
                    }
                ],
            }
        )
    return f"{title}: {len(rows)} transactions", blocks
