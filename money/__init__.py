"""Money as integer minor units plus an ISO 4217 code, converted exactly (never through float).

Shared by the bank client (`ponto/`) and the invoice parsers (`invoices/`). Minor units come from
ISO 4217's own table (the `iso4217` package): CLDR's digits (babel) are display precision and say 0
for HUF, IDR or COP, whose bank amounts carry two decimals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

import iso4217

DEFAULT_EXPONENT = 2  # for a code ISO 4217 does not list (a bank may still send one)

__all__ = ["currency_exponent", "from_minor_units", "is_currency", "to_minor_units"]


@cache
def _iso(code: str) -> iso4217.Currency | None:
    try:
        return iso4217.Currency(code.upper())
    except ValueError:
        return None


def is_currency(code: str) -> bool:
    """An ISO 4217 alphabetic code (`EUR`, `usd`)."""
    return len(code) == 3 and _iso(code) is not None


def currency_exponent(currency: str) -> int:
    """Number of decimal digits of the currency's minor unit (0 where ISO gives none, as for gold)."""
    found = _iso(currency)
    if found is None:
        return DEFAULT_EXPONENT
    return found.exponent or 0


MAX_ADJUSTED_EXPONENT = 18  # 10**18 major units: beyond any balance; bigger is refused before it is expanded


def _finite_and_bounded(value: Decimal, original: object) -> None:
    if not value.is_finite():
        raise ValueError(f"amount {original!r} is not a finite number")
    if value.adjusted() > MAX_ADJUSTED_EXPONENT:
        raise ValueError(f"amount {original!r} is too large")


def minor_units_and_exact(amount: Decimal | int | str, currency: str) -> tuple[int, str | None]:
    """Minor units, and the exact amount as text when it has more decimals than the currency allows.

    A bank can report 12.345 EUR; the amount is then rounded half-even for sums and shown exactly,
    and the line is never matched automatically (see matching).
    """
    if isinstance(amount, float):
        raise TypeError("amounts must be Decimal, int or str, never float")
    value = Decimal(amount)
    _finite_and_bounded(value, amount)
    scaled = value.scaleb(currency_exponent(currency))
    rounded = scaled.to_integral_value(rounding=ROUND_HALF_EVEN)
    return int(rounded), (None if rounded == scaled else str(value))


def to_minor_units(amount: Decimal | int | str, currency: str) -> int:
    """Convert an exact amount to minor units; refuse amounts finer than the currency allows.

    Raises ValueError instead of rounding, because a silently rounded bank amount would make
    exact invoice matching lie.
    """
    if isinstance(amount, float):
        raise TypeError("amounts must be Decimal, int or str, never float")
    value = Decimal(amount)
    _finite_and_bounded(value, amount)
    scaled = value.scaleb(currency_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"amount {amount} has more decimals than {currency} allows")
    return int(scaled)


def from_minor_units(minor: int, currency: str) -> Decimal:
    """The exact decimal amount for an integer of minor units."""
    return Decimal(minor).scaleb(-currency_exponent(currency))
