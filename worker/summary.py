"""Balance summaries: each account's balances, the change since the last summary, totals per currency."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage import accounts as account_store, balances, workspaces
from storage.models import Workspace

from .notices import BalanceLine, BalanceSummary, BalanceTotal
from .notify import notify


async def balance_summary(
    session: AsyncSession, workspace: Workspace, *, now: datetime, record: bool, title: str | None = None
) -> BalanceSummary:
    """The summary; with `record`, today's balances become the reference for the next one."""
    lines: list[BalanceLine] = []
    totals: dict[str, BalanceTotal] = {}
    for account in await account_store.list_active(session, workspace.id):
        previous = await balances.latest(session, account.id)
        change = None
        if previous is not None and previous.current_balance is not None and account.current_balance is not None:
            change = account.current_balance - previous.current_balance
        lines.append(
            BalanceLine(
                name=account.name,
                iban=account.reference,
                currency=account.currency,
                current_balance=account.current_balance,
                available_balance=account.available_balance,
                change=change,
                since=previous.taken_at if previous else None,
            )
        )
        total = totals.get(account.currency, BalanceTotal())
        totals[account.currency] = BalanceTotal(
            total.current + (account.current_balance or 0), total.available + (account.available_balance or 0)
        )
        if record:
            balances.record(session, account, now=now)
    return BalanceSummary(accounts=lines, totals=totals, at=now, title=title)


async def queue_daily_summaries(session: AsyncSession, *, now: datetime, at: time, zone: ZoneInfo) -> int:
    """Queue today's summary for each connected workspace once it is past `at` local time."""
    local = now.astimezone(zone)
    if local.time() < at:
        return 0
    queued = 0
    for workspace, connected_at in await workspaces.with_active_connection(session):
        if workspace.last_summary_on == local.date():
            continue
        workspace.last_summary_on = local.date()
        title = f"Balances on {local.strftime('%a %d %b %Y')}"
        summary = await balance_summary(session, workspace, now=now, record=True, title=title)
        if connected_at.astimezone(zone).date() == local.date():
            continue  # connected today: the accounts overview just showed these balances
        key = f"summary:{workspace.id}:{local.date().isoformat()}"
        await notify(session, workspace, summary, now=now, dedupe_key=key)
        queued += 1
    return queued
