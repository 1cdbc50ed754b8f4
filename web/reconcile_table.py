"""`ponto-slack reconcile --format table`: one record per transaction, wrapped at word boundaries, never
cut: what the bank said (date, amount, counterparty), the decision, the invoices, why."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence

from matching import Decision
from money import from_minor_units
from ponto import Transaction

DECISION_WORDS = {"auto": "PAID", "ask": "ASK", "none": "-"}


def render(decisions: Sequence[Decision], transactions: Sequence[Transaction], width: int | None = None) -> str:
    width = width or max(60, min(shutil.get_terminal_size((100, 24)).columns, 140))
    by_id = {tx.id: tx for tx in transactions}
    records = []
    for decision in decisions:
        tx = by_id.get(decision.transaction)
        when = tx.execution_date.isoformat() if tx and tx.execution_date else "date unknown"
        amount = f"{from_minor_units(tx.amount, tx.currency):+,} {tx.currency}" if tx else ""
        who = (tx.counterpart_name if tx else None) or "(no counterparty)"
        head = f"{when}  {amount:>18}  {DECISION_WORDS.get(decision.decision, decision.decision):<4}  {who}"
        numbers = decision.invoices or decision.candidates
        label = "settles" if decision.decision == "auto" else "offers" if numbers else ""
        body = [f"{label}: {', '.join(numbers)}"] if numbers else []
        body += [f"why: {'; '.join(decision.reasons)}", f"transaction: {decision.transaction}"]
        wrapped = [textwrap.fill(head, width, subsequent_indent=" " * 4, break_long_words=False)]
        wrapped += [
            textwrap.fill(part, width, initial_indent=" " * 4, subsequent_indent=" " * 8, break_long_words=False)
            for part in body
        ]
        records.append("\n".join(wrapped))
    return "\n\n".join(records)
