"""Balance summaries: each account's balances, the change since the last summary, totals per currency."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import accounts as account_store, outbox
from storage.models import BalanceSnapshot, PontoConnection, Workspace


async def summary_payload(
    session: AsyncSession, workspace: Workspace, *, now: datetime, record: bool
) -> dict[str, Any]:
    """The summary; with `record`, today's balances become the reference for the next one."""
    lines: list[dict[str, Any]] = []
    totals: dict[str, dict[str, int]] = {}
    for account in await account_store.list_active(session, workspace.id):
        previous = await session.scalar(
            select(BalanceSnapshot)
            .where(BalanceSnapshot.account_id == account.id)
            .order_by(BalanceSnapshot.taken_at.desc())
            .limit(1)
        )
        change = None
        if previous is not None and previous.current_balance is not None and account.current_balance is not None:
            change = account.current_balance - previous.current_balance
        lines.append(
            {
                "name": account.name,
                "iban": account.reference,
                "currency": account.currency,
                "current_balance": account.current_balance,
                "available_balance": account.available_balance,
                "change": change,
                "since": previous.taken_at.isoformat() if previous else None,
            }
        )
        bucket = totals.setdefault(account.currency, {"current": 0, "available": 0})
        bucket["current"] += account.current_balance or 0
        bucket["available"] += account.available_balance or 0
        if record:
            session.add(
                BalanceSnapshot(
                    workspace_id=workspace.id,
                    account_id=account.id,
                    taken_at=now,
                    current_balance=account.current_balance,
                    available_balance=account.available_balance,
                )
            )
    return {"accounts": lines, "totals": totals, "at": now.isoformat()}


async def queue_daily_summaries(session: AsyncSession, *, now: datetime, at: time, zone: ZoneInfo) -> int:
    """Queue today's summary for each connected workspace once it is past `at` local time."""
    local = now.astimezone(zone)
    if local.time() < at:
        return 0
    queued = 0
    rows = await session.execute(
        select(Workspace, PontoConnection.connected_at)
        .join(PontoConnection, PontoConnection.workspace_id == Workspace.id)
        .where(PontoConnection.status == "active")
    )
    for workspace, connected_at in list(rows.all()):
        if workspace.last_summary_on == local.date():
            continue
        workspace.last_summary_on = local.date()
        payload = await summary_payload(session, workspace, now=now, record=True)
        if connected_at.astimezone(zone).date() == local.date():
            continue  # connected today: the accounts overview just showed these balances
        payload["title"] = f"Balances on {local.strftime('%a %d %b %Y')}"
        await outbox.enqueue(
            session,
            workspace_id=workspace.id,
            channel=workspace.finance_channel,
            kind="balance_summary",
            payload=payload,
            now=now,
            dedupe_key=f"summary:{workspace.id}:{local.date().isoformat()}",
        )
        queued += 1
    return queued
