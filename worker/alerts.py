"""Account changes and alerts after a sync: each posted once per condition (the dedupe key names it)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from ponto import Account
from storage import accounts as account_store
from storage.models import BankAccount, PontoConnection, Workspace

from .mappers import account_data
from .notices import AccountAdded, AccountRevoked, ReauthorizationNeeded, ReconnectNeeded, SyncFailing
from .notify import notify, revise

# Synchronization error codes that mean the bank's consent is gone (Ponto's `authorizationInvalid` is
# documented; the others are seen in Ponto's wording and kept for tolerance).
AUTHORIZATION_CODES = frozenset({"authorizationInvalid", "authorizationExpired", "authorizationRevoked"})


async def store_accounts(
    session: AsyncSession,
    workspace: Workspace,
    connection: PontoConnection,
    listed: list[Account],
    *,
    announce_changes: bool,
    now: datetime,
    reauth_warning: timedelta,
) -> list[BankAccount]:
    """Store the accounts Ponto lists; alert on expiring access and, after the first sync, on changes.
    Returns the stored rows."""
    before = {  # captured now: replace_accounts updates these very rows
        a.ponto_id: (a.active, a.reference, a.name, a.currency)
        for a in await account_store.of_connection(session, connection.id)
    }
    rows = await account_store.replace_accounts(
        session, workspace_id=workspace.id, connection_id=connection.id, accounts=[account_data(a) for a in listed]
    )
    for row in rows:
        await authorization_alert(session, workspace, row, now=now, warning=reauth_warning)
    if not announce_changes:
        return rows
    stamp = connection.connected_at.isoformat()
    for account in listed:
        if account.id not in before or not before[account.id][0]:
            notice = AccountAdded(
                account.reference, account.name, account.currency, account.current_balance, account.available_balance
            )
            await notify(session, workspace, notice, now=now, dedupe_key=f"account-added:{account.id}:{stamp}")
    listed_ids = {a.id for a in listed}
    for ponto_id, (active, reference, name, currency) in before.items():
        if active and ponto_id not in listed_ids:
            notice_revoked = AccountRevoked(reference, name, currency)
            await notify(session, workspace, notice_revoked, now=now, dedupe_key=f"account-revoked:{ponto_id}:{stamp}")
    return rows


async def authorization_alert(
    session: AsyncSession, workspace: Workspace, row: BankAccount, *, now: datetime, warning: timedelta
) -> None:
    """Bank access that ends within `warning`: one alert per account and expiry date."""
    expires = row.authorization_expires_at
    if expires is None or expires - now > warning:
        return
    notice = ReauthorizationNeeded(row.ponto_id, row.reference, row.name, expires)
    await notify(session, workspace, notice, now=now, dedupe_key=f"reauth:{row.ponto_id}:{expires.date()}")


async def mark_broken(
    session: AsyncSession, workspace: Workspace, connection: PontoConnection, *, now: datetime, revoked: bool = False
) -> None:
    """Ponto no longer accepts our access: pause the syncs and say so once, with a reconnect button."""
    connection.status = "broken"
    notice = ReconnectNeeded(connection.organization_name, connection.connected_by, revoked=revoked)
    await notify(
        session, workspace, notice, now=now, dedupe_key=f"broken:{connection.id}:{connection.connected_at.isoformat()}"
    )


def sync_problem(codes: list[str]) -> str:
    """ "authorization" when the bank's consent must be renewed (a person acts), else "bank"."""
    return "authorization" if AUTHORIZATION_CODES & set(codes) else "bank"


async def sync_outcomes(
    session: AsyncSession,
    workspace: Workspace,
    accounts: list[BankAccount],
    failures: dict[str, list[str]],
    succeeded: set[str],
    *,
    now: datetime,
) -> None:
    """One alert when an account's synchronizations start failing (per condition), edited when they recover."""
    rows = {row.ponto_id: row for row in accounts}
    for ponto_id, reported in failures.items():
        row = rows.get(ponto_id)
        codes = list(dict.fromkeys(reported))  # the details and the transactions synchronization often agree
        problem = sync_problem(codes)
        if row is None or row.sync_problem == problem:
            continue  # unknown account, or already said
        row.sync_problem, row.sync_problem_since = problem, now
        notice = _failing(row, problem, codes, now)
        await notify(session, workspace, notice, now=now, dedupe_key=_failing_key(row, now))
    for ponto_id in succeeded - set(failures):
        row = rows.get(ponto_id)
        if row is None or row.sync_problem is None or row.sync_problem_since is None:
            continue
        since = row.sync_problem_since
        recovered = _failing(row, row.sync_problem, [], since, recovered_at=now)
        await revise(session, _failing_key(row, since), recovered, now=now)
        row.sync_problem, row.sync_problem_since = None, None
    await session.flush()


def _failing(
    row: BankAccount, problem: str, codes: list[str], since: datetime, recovered_at: datetime | None = None
) -> SyncFailing:
    return SyncFailing(row.ponto_id, row.reference, row.name, problem, codes, since, recovered_at)


def _failing_key(row: BankAccount, since: datetime) -> str:
    return f"sync-failing:{row.ponto_id}:{since.isoformat()}"
