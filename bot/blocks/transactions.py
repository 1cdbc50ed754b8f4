"""Transactions in the channel: one message each, a digest for bursts, the first import's summary."""

from __future__ import annotations

from datetime import date

from i18n import _
from worker.notices import BankLineView, ImportSummary, TransactionPosted, TransactionsDigest

from ..formatting import escape_mrkdwn, iban, money
from .kit import Block, Message, actions, button, context, header, section


def _signed(minor: int, currency: str, locale: str, exact: str | None = None) -> str:
    text = money(abs(minor), currency, locale, exact=exact)
    return f"+{text}" if minor > 0 else f"−{text}"


ODD_AMOUNT = (
    "The bank reported more decimals than {currency} has: the amount is shown as sent, "
    "and this line is not matched to invoices automatically."
)


def _day(value: date | None) -> str:
    return value.strftime("%d %b %Y") if value else "date unknown"


def transaction(notice: TransactionPosted, locale: str) -> Message:
    amount = _signed(notice.amount, notice.currency, locale, notice.amount_exact)
    incoming = notice.amount > 0
    who = notice.counterpart or (_(locale, "unknown sender") if incoming else _(locale, "unknown payee"))
    icon = ":moneybag:" if incoming else ":money_with_wings:"
    line = _(locale, "{amount} from {who} on {account}") if incoming else _(locale, "{amount} to {who} on {account}")
    text = line.format(amount=amount, who=escape_mrkdwn(who), account=escape_mrkdwn(notice.account_name or ""))
    party = _(locale, "From") if incoming else _(locale, "To")
    labels = _(locale, "Amount"), _(locale, "Account"), _(locale, "Executed")  # not in f-strings: babel reads these
    fields = [
        f"*{labels[0]}*\n{amount}",
        f"*{party}*\n{escape_mrkdwn(who)}"
        + (f"\n`{iban(notice.counterpart_iban)}`" if notice.counterpart_iban else ""),
        f"*{labels[1]}*\n{escape_mrkdwn(notice.account_name or '')}\n`{iban(notice.account_iban or '')}`",
        f"*{labels[2]}*\n{_day(notice.execution_date)}",
    ]
    blocks: list[Block] = [
        section(f"{icon} *{text}*"),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    if notice.remittance:
        blocks.append(context(_(locale, "Communication: {text}").format(text=escape_mrkdwn(notice.remittance))))
    if notice.amount_exact is not None:
        blocks.append(context(ODD_AMOUNT.format(currency=escape_mrkdwn(notice.currency))))
    return text, blocks


def _short_line(line: BankLineView, locale: str, *, width: int) -> str:
    return (
        f"{_signed(line.amount, line.currency, locale, line.amount_exact)}  {escape_mrkdwn(line.counterpart or '?')}"
        f"  _{escape_mrkdwn((line.remittance or '')[:width])}_"
    )


def transactions_digest(notice: TransactionsDigest, locale: str) -> Message:
    count = notice.count
    totals = " · ".join(
        f"in {money(t.incoming, currency, locale)}, out {money(-t.outgoing, currency, locale)}"
        for currency, t in sorted(notice.totals.items())
    )
    text = f"{count} new transactions on {escape_mrkdwn(notice.account_name)}: {totals}"
    lines = [_short_line(tx, locale, width=60) for tx in notice.transactions]
    more = count - len(notice.transactions)
    if more > 0:
        lines.append(f"…and {more} more: `/ponto transactions {iban(notice.account_iban)}`")
    account = f"*{escape_mrkdwn(notice.account_name)}* `{iban(notice.account_iban)}`\n{totals}"
    return text, [header(f"{count} new transactions"), section(account), section("\n".join(lines))]


def import_summary(notice: ImportSummary, _locale: str) -> Message:
    accounts = notice.accounts
    text = (
        f"Imported {notice.count} transactions from {accounts} account{'s' if accounts != 1 else ''} "
        f"since {notice.since:%d %b}. New transactions will appear here as they arrive."
    )
    detail = "\n".join(f"• {escape_mrkdwn(name)}: {n}" for name, n in notice.per_account.items())
    blocks = [section(f":inbox_tray: {text}")]
    if detail:
        blocks.append(context(detail[:2900]))
    return text, blocks


def transactions_list(rows: list[BankLineView], *, title: str, locale: str, more_value: str | None) -> Message:
    """The answer to `/ponto transactions`, newest first, with a button for the next page."""
    if not rows:
        text = f"{title}: no transactions."
        return text, [section(text)]
    several = len({r.account_iban or r.account_name for r in rows}) > 1  # then each line says whose it is
    lines = [
        f"`{_day(r.execution_date)}`  {_short_line(r, locale, width=50)}"
        + (f"  · {escape_mrkdwn(r.account_name or '')} `{iban(r.account_iban or '')}`" if several else "")
        for r in rows
    ]
    blocks = [section(f"*{escape_mrkdwn(title)}*"), section("\n".join(lines))]
    if more_value:
        blocks.append(actions(button("transactions_more", "More", more_value)))
    return f"{title}: {len(rows)} transactions", blocks
