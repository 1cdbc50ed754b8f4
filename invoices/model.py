"""The invoice value: what matching needs, with money as signed integer minor units."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

# kind -> (side, document). The expected bank movement is positive for money coming in.
KINDS = {
    "sales": ("sales", "invoice"),
    "sales_credit_note": ("sales", "credit_note"),
    "purchase": ("purchase", "invoice"),
    "purchase_credit_note": ("purchase", "credit_note"),
}


@dataclass(frozen=True)
class Invoice:
    number: str
    kind: str  # one of KINDS
    issue_date: date
    due_date: date | None
    currency: str
    amount: int  # amount due in minor units, as the document states it (positive for a normal document)
    payment_reference: str | None = None  # BT-83: OGM, RF or free text
    counterparty_name: str | None = None  # the customer of a sales document, the supplier of a purchase one
    counterparty_iban: str | None = None
    counterparty_bic: str | None = None  # BT-86 on a purchase invoice: the supplier's bank, when given
    counterparty_vat: str | None = None
    counterparty_endpoint: str | None = None
    payee_iban: str | None = None  # BT-84: where the money goes

    @property
    def side(self) -> str:
        return KINDS[self.kind][0]

    @property
    def is_credit_note(self) -> bool:
        return KINDS[self.kind][1] == "credit_note"

    @property
    def expected_movement(self) -> int:
        """The signed bank movement that settles it: sales invoices come in, purchase invoices go out."""
        incoming = (self.side == "sales") != self.is_credit_note
        return abs(self.amount) if incoming else -abs(self.amount)


MAX_AMOUNT_TEXT = 40  # characters, before anything is converted
MAX_AMOUNT = Decimal("999999999999.99")  # a trillion: far above any real invoice, far below what strains a CPU
AMOUNT_SHAPE = re.compile(r"[+-]?\d{1,15}(\.\d{1,6})?")  # plain decimals only: no exponent, no NaN


def parse_amount(text: str) -> Decimal:
    """'1234.50', '1.234,50', '1 234,50', '-12,3': the last separator is the decimal one.

    Bounded before conversion (length, digits, no exponent), so `1e999990` is refused at once instead
    of keeping the event loop busy while it is expanded.
    """
    if len(text) > MAX_AMOUNT_TEXT:
        raise ValueError(f"is longer than {MAX_AMOUNT_TEXT} characters: not an amount")
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("'", "")
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        group_mark = "." if decimal_mark == "," else ","
        cleaned = cleaned.replace(group_mark, "").replace(decimal_mark, ".")
    elif "," in cleaned:
        if cleaned.count(",") > 1:
            raise ValueError(f"{text!r} is not an amount")
        cleaned = cleaned.replace(",", ".")
    if not AMOUNT_SHAPE.fullmatch(cleaned):
        raise ValueError(f"{text!r} is not an amount (write it as 1234.50, without an exponent)")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not an amount") from exc
    if abs(value) > MAX_AMOUNT:
        raise ValueError(f"{text!r} is larger than the limit of {MAX_AMOUNT}")
    return value


def parse_day(text: str) -> date:
    """ISO 2026-03-31, or the Belgian 31/03/2026 and 31-03-2026."""
    value = text.strip()
    try:
        if len(value) == 10 and value[4] == "-":
            return date.fromisoformat(value)
        day, month, year = value.replace("-", "/").replace(".", "/").split("/")
        return date(int(year), int(month), int(day))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date (use 2026-03-31 or 31/03/2026)") from exc
