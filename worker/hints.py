"""What Ponto's webhooks said since a connection last synced: which synchronizations to read, which failed.

Several webhooks can arrive for one account in one round, in any order (a transactions synchronization
and an account-details one, say); every id is kept, and updated transactions are read only from
transaction synchronizations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Events that come from a synchronization of transactions: its updated transactions are worth reading.
TRANSACTION_EVENTS = frozenset(
    {
        "pontoConnect.account.transactionsCreated",
        "pontoConnect.account.transactionsUpdated",
        "pontoConnect.account.pendingTransactionsCreated",
        "pontoConnect.account.pendingTransactionsUpdated",
    }
)
FAILED_EVENT = "pontoConnect.synchronization.failed"


@dataclass
class SyncHints:
    transactions: dict[str, list[str]] = field(default_factory=dict)  # account id -> synchronization ids
    failed: dict[str, list[str]] = field(default_factory=dict)  # account id -> failed synchronization ids

    def add(self, event_type: str, account_id: str | None, synchronization_id: str | None) -> None:
        if not account_id or not synchronization_id:
            return
        if event_type in TRANSACTION_EVENTS:
            _append(self.transactions, account_id, synchronization_id)
        elif event_type == FAILED_EVENT:
            _append(self.failed, account_id, synchronization_id)

    def merge(self, other: SyncHints) -> None:
        for account_id, ids in other.transactions.items():
            for sync_id in ids:
                _append(self.transactions, account_id, sync_id)
        for account_id, ids in other.failed.items():
            for sync_id in ids:
                _append(self.failed, account_id, sync_id)

    def __bool__(self) -> bool:
        """Webhooks named synchronizations: read those instead of asking Ponto for new ones."""
        return bool(self.transactions or self.failed)


def _append(target: dict[str, list[str]], key: str, value: str) -> None:
    ids = target.setdefault(key, [])
    if value not in ids:
        ids.append(value)
