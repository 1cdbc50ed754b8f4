"""Values the matcher works on: a bank line, an open item (invoice residual), a decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class BankLine:
    id: str
    amount: int  # minor units, signed: incoming positive
    currency: str
    counterpart_name: str | None = None
    counterpart_iban: str | None = None
    remittance: str | None = None
    remittance_type: str | None = None  # "structured" when the bank flags an OGM/RF
    execution_date: date | None = None


@dataclass(frozen=True)
class OpenItem:
    """An invoice or credit note with money still to move; `residual` is the signed bank movement left."""

    number: str
    residual: int
    currency: str
    party: str  # the counterparty's name, as on the document
    reference: str | None = None  # normalised OGM or RF (see identifiers.normalize_reference)
    party_ibans: frozenset[str] = frozenset()
    issue_date: date | None = None
    due_date: date | None = None


@dataclass(frozen=True)
class Decision:
    transaction: str
    decision: str  # "auto" | "ask" | "none"
    invoices: list[str] = field(default_factory=list)  # settled, when auto
    candidates: list[str] = field(default_factory=list)  # offered, best first, when ask
    reasons: list[str] = field(default_factory=list)
    allocations: dict[str, int] = field(default_factory=dict)  # number -> amount applied (minor units)
    together: bool = False  # ask: the candidates are meant together (their amounts add up to the payment)

    def as_dict(self) -> dict[str, object]:
        return {
            "transaction": self.transaction,
            "decision": self.decision,
            "invoices": self.invoices,
            "candidates": self.candidates,
            "reasons": self.reasons,
        }
