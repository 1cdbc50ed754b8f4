"""Balance summaries: each account, the change since the previous summary, totals per currency."""

from __future__ import annotations

from typing import Any

from ..formatting import escape_mrkdwn, iban, money
from .alerts import since_label

Message = tuple[str, list[dict[str, Any]]]


def balance_summary(payload: dict[str, Any], locale: str) -> Message:
    title = payload.get("title") or "Balances"
    lines = []
    for a in payload["accounts"]:
        change = ""
        if a.get("change") is not None:
            sign = "+" if a["change"] >= 0 else "−"
            change = f"  ({sign}{money(abs(a['change']), a['currency'], locale)}{since_label(a.get('since'))})"
        lines.append(
            f"*{escape_mrkdwn(a['name'])}* `{iban(a['iban'])}`\n"
            f"Current {money(a['current_balance'], a['currency'], locale)} · "
            f"Available {money(a['available_balance'], a['currency'], locale)}{change}"
        )
    totals = " · ".join(
        f"{currency}: {money(t['current'], currency, locale)} (available {money(t['available'], currency, locale)})"
        for currency, t in sorted(payload["totals"].items())
    )
    text = f"{title}: {totals or 'no accounts'}"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}}]
    for start in range(0, len(lines), 12):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n\n".join(lines[start : start + 12])}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"*Total* {totals or 'n/a'}"}]})
    return text, blocks
