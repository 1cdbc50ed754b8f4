"""Read-only answers for Slack commands: recent transactions and the balance summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy.ext.asyncio import AsyncSession

from storage import accounts as account_store, connections, transactions, workspaces

from .mappers import line_view
from .notices import BalanceSummary, BankLineView
from .summary import balance_summary

PAGE = 10
MAX_DAYS = 366


@dataclass(frozen=True)
class TransactionQuery:
    """`/ponto transactions [IBAN or account name] [days]`, parsed."""

    selector: str | None
    days: int
    offset: int = 0

    @classmethod
    def parse(cls, args: str) -> TransactionQuery:
        """An IBAN as the app prints it (`BE68 5390 0754 7034`) is one selector: its last group is no day count."""
        words = args.split()
        days = 30
        if words and words[-1].isdigit() and not _is_iban("".join(words)):
            days = max(1, min(int(words.pop()), MAX_DAYS))
        return cls(" ".join(words) or None, days)

    def encode(self, offset: int) -> str:
        return f"{offset}|{self.days}|{self.selector or ''}"

    @classmethod
    def decode(cls, value: str) -> TransactionQuery:
        offset, days, selector = value.split("|", 2)
        return cls(selector or None, int(days), int(offset))


@dataclass(frozen=True)
class TransactionPage:
    title: str
    rows: list[BankLineView]
    next_value: str | None
    problem: str | None = None


def _is_iban(text: str) -> bool:
    try:
        IBAN(text)
    except SchwiftyException:
        return False
    return True


def _matches(account: Any, selector: str) -> bool:
    wanted = selector.replace(" ", "").upper()
    return account.reference.replace(" ", "").upper() == wanted or selector.lower() in account.name.lower()


async def recent_transactions(
    session: AsyncSession, team_id: str, query: TransactionQuery, *, now: datetime
) -> TransactionPage:
    workspace = await workspaces.get_by_team(session, team_id)
    if workspace is None:
        return TransactionPage("Transactions", [], None, "Ponto is not connected yet: `/ponto activate`.")
    accounts = await account_store.list_active(session, workspace.id)
    chosen = accounts
    if query.selector:
        chosen = [a for a in accounts if _matches(a, query.selector)]
        if not chosen:
            names = ", ".join(f"{a.name} ({a.reference})" for a in accounts) or "none"
            return TransactionPage(
                "Transactions", [], None, f"No account matches `{query.selector}`. Accounts: {names}."
            )
    by_id = {a.id: a for a in chosen}
    rows = await transactions.recent(
        session,
        workspace.id,
        since=(now - timedelta(days=query.days)).date(),
        account_ids=list(by_id),
        limit=PAGE + 1,
        offset=query.offset,
    )
    page = rows[:PAGE]
    title = f"Transactions of the last {query.days} days" + (f" on {chosen[0].name}" if query.selector else "")
    payload = [line_view(t, by_id.get(t.account_id)) for t in page]
    more = query.encode(query.offset + PAGE) if len(rows) > PAGE else None
    return TransactionPage(title, payload, more)


async def balance(session: AsyncSession, team_id: str, *, now: datetime) -> BalanceSummary | None:
    workspace = await workspaces.get_by_team(session, team_id)
    if workspace is None:
        return None
    connection = await connections.get_for_workspace(session, workspace.id)
    title = "Balances now"
    if connection is None or connection.status != "active":  # no fresh data comes in: say how old these are
        known = connection.last_sync_at if connection else None
        title = f"Balances last known on {known:%d %b %Y}" if known else "Balances last known"
    return await balance_summary(session, workspace, now=now, record=False, title=title)
