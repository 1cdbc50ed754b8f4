"""What new and corrected bank lines, and the first import, tell the channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import accounts as account_store, transactions
from storage.models import BankAccount, BankTransaction, PontoConnection, Workspace

from .mappers import line_view
from .notices import CurrencyFlow, ImportSummary, TransactionPosted, TransactionsDigest
from .notify import notify, revise
from .views import BankLineView

DIGEST_LINES = 15  # a digest lists this many lines and says how many more there are


def transaction_key(account: BankAccount, tx: BankTransaction) -> str:
    """The dedupe key of a line's message: later corrections edit that message."""
    return f"tx:{account.id}:{tx.ponto_id}"


@dataclass
class NewLines:
    """What telling one account's new lines needs, gathered while they are stored a chunk at a time:
    how many are shown, their totals, and the views of the first few (all of them while they are few
    enough for a message each). Small movements (under `min_amount`) and pending lines stay quiet."""

    account: BankAccount
    min_amount: int
    keep: int  # views kept: enough for a digest's list and for one message per line below the threshold
    count: int = 0
    flows: dict[str, CurrencyFlow] = field(default_factory=dict)
    first: list[tuple[BankTransaction, BankLineView]] = field(default_factory=list)

    def add(self, created: Sequence[BankTransaction]) -> None:
        for tx in created:
            if tx.pending or abs(tx.amount) < self.min_amount:
                continue
            self.count += 1
            flow = self.flows.get(tx.currency, CurrencyFlow())
            if tx.amount > 0:
                self.flows[tx.currency] = CurrencyFlow(flow.incoming + tx.amount, flow.outgoing)
            else:
                self.flows[tx.currency] = CurrencyFlow(flow.incoming, flow.outgoing + tx.amount)
            if len(self.first) < self.keep:
                self.first.append((tx, line_view(tx, self.account)))


async def announce(
    session: AsyncSession, workspace: Workspace, lines: NewLines, *, now: datetime, digest_threshold: int
) -> None:
    """One message per new booked line, or one digest for a burst."""
    if not lines.count:
        return
    if lines.count > digest_threshold:
        digest = TransactionsDigest(
            account_name=lines.account.name,
            account_iban=lines.account.reference,
            count=lines.count,
            transactions=[view for _tx, view in lines.first[:DIGEST_LINES]],
            totals=lines.flows,
        )
        await notify(session, workspace, digest, now=now)
        return
    for tx, view in sorted(lines.first, key=lambda pair: (pair[0].execution_date or date.min, pair[0].id)):
        await notify(
            session, workspace, TransactionPosted.of(view), now=now, dedupe_key=transaction_key(lines.account, tx)
        )


async def revise_corrected(
    session: AsyncSession, account: BankAccount, updated: Sequence[BankTransaction], *, now: datetime
) -> None:
    """A line Ponto changed: its message is edited in place (chat.update), not posted again."""
    for tx in updated:
        await revise(session, transaction_key(account, tx), TransactionPosted.of(line_view(tx, account)), now=now)


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
