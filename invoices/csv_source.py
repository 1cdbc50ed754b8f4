"""CSV invoices, with the documented columns; `;` or `,` separated, decimal comma or point.

Columns (header names are case-insensitive; spaces and underscores are the same):
number, customer, customer_iban, amount, currency, issue_date, due_date, payment_reference, kind, bic.
`kind` is sales, purchase, sales_credit_note or purchase_credit_note (default sales); `customer` is
the other party (the supplier for purchase documents, `customer_iban` and `bic` then where to pay it).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date

from money import is_currency, to_minor_units

from .errors import InvoiceError
from .model import KINDS, Invoice, parse_amount, parse_day

REQUIRED = ("number", "customer", "amount", "currency", "issue_date")
OPTIONAL = ("customer_iban", "due_date", "payment_reference", "kind", "bic")
MAX_ROWS = 100_000


def _key(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_").lstrip("\ufeff")


def parse_csv(text: str, source: str) -> list[Invoice]:
    """Every row or nothing: the first bad row raises, naming its line and column."""
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [_key(h) for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvoiceError(
            source,
            "line 1 (header)",
            f"missing column(s) {', '.join(missing)}; expected {', '.join(REQUIRED + OPTIONAL)}",
        )
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    if unknown:
        raise InvoiceError(source, "line 1 (header)", f"unknown column(s) {', '.join(unknown)}")
    keys = {name: _key(name) for name in reader.fieldnames or []}  # once, not per cell
    invoices = []
    for index, raw in enumerate(reader, start=2):
        if index - 1 > MAX_ROWS:  # the header is line 1
            raise InvoiceError(source, f"line {index}", f"more than {MAX_ROWS} rows; split the file")
        row = {keys[k]: (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        invoices.append(_row(row, source, index))
    return invoices


def _amount(text: str, currency: str, fail: Callable[[str, str], None]) -> int | None:
    """The amount in minor units; a problem (said through `fail`) gives None."""
    if not text:
        return None  # said by the required-field check
    try:
        amount = to_minor_units(parse_amount(text), currency)
    except ValueError as exc:
        fail("amount", str(exc))
        return None
    if amount < 0:
        fail("amount", "is negative; use kind sales_credit_note or purchase_credit_note with a positive amount")
    elif amount == 0:
        fail("amount", "is zero: nothing is due, so there is nothing to match")
    return amount


def _row(row: dict[str, str], source: str, line: int) -> Invoice:
    """One record, or an InvoiceError naming every problem it has (not only the first)."""
    problems: list[tuple[str, str]] = []

    def fail(column: str, message: str) -> None:
        problems.append((f"line {line}, column {column}", message))

    for column in REQUIRED:
        if not row.get(column):
            fail(column, "is empty")
    kind = row.get("kind") or "sales"
    if kind not in KINDS:
        fail("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    currency = (row.get("currency") or "").strip().upper()
    if currency and not is_currency(currency):
        fail("currency", f"{row['currency'][:20]!r} is not an ISO 4217 currency code such as EUR")
    amount = _amount(row.get("amount") or "", currency, fail) if is_currency(currency) else None
    dates: dict[str, date | None] = {}
    for column in ("issue_date", "due_date"):
        try:
            dates[column] = parse_day(row[column]) if row.get(column) else None
        except ValueError as exc:
            fail(column, str(exc))
    if problems:
        (location, message), *also = problems
        raise InvoiceError(source, location, message, also=also)
    assert amount is not None  # required and parsed, or a problem above
    return Invoice(
        number=row["number"],
        kind=kind,
        issue_date=dates["issue_date"] or date.min,  # required above: never empty here
        due_date=dates["due_date"],
        currency=currency,
        amount=amount,
        payment_reference=row.get("payment_reference") or None,
        counterparty_name=row["customer"],
        counterparty_iban=row.get("customer_iban") or None,
        counterparty_bic=row.get("bic") or None,
    )
