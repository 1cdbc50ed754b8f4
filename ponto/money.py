"""Exact conversion between Ponto's decimal amounts and integer minor units.

Ponto sends amounts as JSON numbers; they are parsed as Decimal and carried as an
integer number of minor units (cents) plus the ISO 4217 currency code.
"""

from __future__ import annotations

from decimal import Decimal

# ISO 4217 currencies whose minor unit is not 2 digits (the rest use 2).
_EXPONENTS: dict[str, int] = {
    "BHD": 3,
    "BIF": 0,
    "CLF": 4,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "RWF": 0,
    "TND": 3,
    "UGX": 0,
    "UYI": 0,
    "UYW": 4,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}


def currency_exponent(currency: str) -> int:
    """Number of decimal digits of the currency's minor unit."""
    return _EXPONENTS.get(currency.upper(), 2)


def to_minor_units(amount: Decimal | int | str, currency: str) -> int:
    """Convert an exact amount to minor units; refuse amounts finer than the currency allows.

    Raises ValueError instead of rounding, because a silently rounded bank amount would make
    exact invoice matching lie.
    """
    if isinstance(amount, float):
        raise TypeError("amounts must be Decimal, int or str, never float")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"amount {amount!r} is not a finite number")
    scaled = value.scaleb(currency_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"amount {amount} has more decimals than {currency} allows")
    return int(scaled)


def from_minor_units(minor: int, currency: str) -> Decimal:
    """The exact decimal amount for an integer of minor units."""
    return Decimal(minor).scaleb(-currency_exponent(currency))
