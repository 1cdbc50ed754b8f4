"""What a re-import changed, said for people (the CLI) and for programs (the API): amounts as decimals of
their currency, dates as ISO dates, nothing else formatted."""

from __future__ import annotations

from datetime import date
from typing import Any

from money import from_minor_units
from storage.invoices import Change, ImportResult

LABELS = {
    "issue_date": "issue date",
    "due_date": "due date",
    "currency": "currency",
    "amount": "amount",
    "payment_reference": "payment reference",
    "counterparty_name": "customer or supplier",
    "counterparty_iban": "IBAN",
    "counterparty_vat": "VAT number",
}


def _value(name: str, value: object, currency: str) -> str | None:
    if value is None:
        return None
    if name == "amount" and isinstance(value, int):
        return str(from_minor_units(value, currency))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _currencies(change: Change) -> tuple[str, str]:
    """The currency of the old and of the new amount (the same unless the currency changed too)."""
    before, _after = change.fields.get("currency", (change.currency, change.currency))
    return str(before), change.currency


def change_json(change: Change) -> dict[str, Any]:
    before_currency, after_currency = _currencies(change)
    return {
        "number": change.number,
        "kind": change.kind,
        "changed": {
            name: {"from": _value(name, old, before_currency), "to": _value(name, new, after_currency)}
            for name, (old, new) in change.fields.items()
        },
    }


def describe_change(change: Change) -> str:
    """'INV-1: amount 100.00 -> 120.00, due date 2026-10-31 -> 2026-11-30'."""
    before_currency, after_currency = _currencies(change)
    parts = [
        f"{LABELS.get(name, name)} {_value(name, old, before_currency) or '(none)'} -> "
        f"{_value(name, new, after_currency) or '(none)'}"
        for name, (old, new) in change.fields.items()
    ]
    return f"{change.number}: {', '.join(parts)}"


def result_json(result: ImportResult) -> dict[str, Any]:
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "changes": [change_json(c) for c in result.changes],
    }
