"""What new and corrected bank lines, and the first import, tell the channel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import accounts as account_store, transactions
from storage.models import BankAccount, BankTransaction, PontoConnection, Workspace

from .mappers import line_view
from .notices import CurrencyFlow, ImportSummary, TransactionPosted, TransactionsDigest
from .notify import notify, revise

DIGEST_LINES = 15  # a digest lists this many lines and says how many more there are


def transaction_key(account: BankAccount, tx: BankTransaction) -> str:
    """The dedupe key of a line's message: later corrections edit that message."""
    return f"tx:{account.id}:{tx.ponto_id}"


async def announce(
    session: AsyncSession,
    workspace: Workspace,
    account: BankAccount,
    created: Sequence[BankTransaction],
    *,
    now: datetime,
    digest_threshold: int,
    min_amount: int,
) -> None:
    """One message per new booked line, or one digest for a burst; small movements stay quiet."""
    shown = [tx for tx in created if not tx.pending and abs(tx.amount) >= min_amount]
    if not shown:
        return
    if len(shown) > digest_threshold:
        digest = TransactionsDigest(
            account_name=account.name,
            account_iban=account.reference,
            count=len(shown),
            transactions=[line_view(tx, account) for tx in shown[:DIGEST_LINES]],
            totals=totals(shown),
        )
        await notify(session, workspace, digest, now=now)
        return
    for tx in sorted(shown, key=lambda t: (t.execution_date or date.min, t.id)):
        notice = TransactionPosted.of(line_view(tx, account))
        await notify(session, workspace, notice, now=now, dedupe_key=transaction_key(account, tx))


async def revise_corrected(
    session: AsyncSession, account: BankAccount, updated: Sequence[BankTransaction], *, now: datetime
) -> None:
    """A line Ponto changed: its message is edited in place (chat.update), not posted again."""
    for tx in updated:
        await revise(session, transaction_key(account, tx), TransactionPosted.of(line_view(tx, account)), now=now)


def totals(lines: Sequence[BankTransaction]) -> dict[str, CurrencyFlow]:
    flows: dict[str, CurrencyFlow] = {}
    for tx in lines:
        flow = flows.get(tx.currency, CurrencyFlow())
        if tx.amount > 0:
            flows[tx.currency] = CurrencyFlow(flow.incoming + tx.amount, flow.outgoing)
        else:
            flows[tx.currency] = CurrencyFlow(flow.incoming, flow.outgoing + tx.amount)
    return flows


async def import_summary(
    session: AsyncSession, workspace: Workspace, connection: PontoConnection, *, since: date, now: datetime
) -> None:
    """After the first sync: one message saying how much history was imported."""
    accounts = await account_store.list_active(session, workspace.id, connection_id=connection.id)
    counts = {a.name: await transactions.count(session, a.id) for a in accounts}
    notice = ImportSummary(count=sum(counts.values()), accounts=len(accounts), since=since, per_account=counts)
    await notify(
        session, workspace, notice, now=now, dedupe_key=f"import:{connection.id}:{connection.connected_at.isoformat()}"
    )
