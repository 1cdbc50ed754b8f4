"""Balance summaries: each account, the change since the previous summary, totals per currency."""

from __future__ import annotations

from worker.notices import BalanceSummary

from ..formatting import escape_mrkdwn, iban, money
from .alerts import since_label
from .kit import Block, Message, context, header, section

LINES_PER_SECTION = 12


def balance_summary(notice: BalanceSummary, locale: str) -> Message:
    title = escape_mrkdwn(notice.title or "Balances")
    lines = []
    for a in notice.accounts:
        change = ""
        if a.change is not None:
            sign = "+" if a.change >= 0 else "−"
            change = f"  ({sign}{money(abs(a.change), a.currency, locale)}{since_label(a.since)})"
        lines.append(
            f"*{escape_mrkdwn(a.name)}* `{iban(a.iban)}`\n"
            f"Current {money(a.current_balance, a.currency, locale)} · "
            f"Available {money(a.available_balance, a.currency, locale)}{change}"
        )
    totals = " · ".join(
        f"{escape_mrkdwn(currency)}: {money(t.current, currency, locale)} "
        f"(available {money(t.available, currency, locale)})"
        for currency, t in sorted(notice.totals.items())
    )
    text = f"{title}: {totals or 'no accounts'}"
    blocks: list[Block] = [header(notice.title or "Balances")]  # plain text: Slack does not parse it
    for start in range(0, len(lines), LINES_PER_SECTION):
        blocks.append(section("\n\n".join(lines[start : start + LINES_PER_SECTION])))
    blocks.append(context(f"*Total* {totals or 'n/a'}"))
    return text, blocks
