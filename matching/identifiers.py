"""Evidence in a bank line's free text: Belgian structured communications, RF references,
invoice-number mentions and amounts. Pure functions."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from stdnum import iso11649
from stdnum.be import ogm_vcs

# 12 digits written 3/4/5 with any of + * / - . space around and between; or 12 bare digits.
_OGM = re.compile(r"(?<!\d)(?:[+*]{3}\s*)?(\d{3})\s*[/\-. ]?\s*(\d{4})\s*[/\-. ]?\s*(\d{5})(?:\s*[+*]{3})?(?!\d)")
_RF = re.compile(r"\bRF\s?\d{2}", re.IGNORECASE)
_AMOUNT = re.compile(r"(?:EUR|€)\s*(\d{1,3}(?:[.\s]\d{3})*(?:[.,]\d{2})|\d+(?:[.,]\d{2}))", re.IGNORECASE)


def find_ogms(text: str) -> list[str]:
    """Valid structured communications (check digits verified), as 12 digits, in order of appearance."""
    found: list[str] = []
    for match in _OGM.finditer(text or ""):
        digits = "".join(match.groups())
        if ogm_vcs.is_valid(digits) and digits not in found:
            found.append(digits)
    return found


def find_rfs(text: str) -> list[str]:
    """Valid RF creditor references; the longest valid reading wins ('RF18 5390 0754 7034 and ...')."""
    found: list[str] = []
    text = text or ""
    for match in _RF.finditer(text):
        tail = re.match(r"(?:\s?[0-9A-Za-z]){1,21}", text[match.end() :])
        if tail is None:
            continue
        body = re.sub(r"\s", "", tail.group(0)).upper()
        head = iso11649.compact(match.group(0))
        for size in range(len(body), 0, -1):
            candidate = head + body[:size]
            if iso11649.is_valid(candidate):
                if candidate not in found:
                    found.append(candidate)
                break
    return found


@lru_cache(maxsize=1 << 17)
def normalize_reference(reference: str | None) -> str | None:
    """An invoice's payment reference (BT-83) in the form the bank text is searched for."""
    if not reference:
        return None
    digits = re.sub(r"\D", "", reference)
    if len(digits) == 12 and ogm_vcs.is_valid(digits):
        return digits
    compact = iso11649.compact(reference)
    if compact.startswith("RF") and iso11649.is_valid(compact):
        return compact
    return None  # free text such as an invoice number: handled by the number matcher


def digit_groups(text: str) -> list[str]:
    """Runs of digits with leading zeros dropped: '2022-12-13196+13189' -> 2022, 12, 13196, 13189."""
    return [group.lstrip("0") or "0" for group in re.findall(r"\d+", text or "")]


def mentions(text: str, number: str, *, seen: list[str] | None = None, raw: list[str] | None = None) -> bool:
    """Whether the text names the invoice number, despite the noise banks and payers add.

    Separators are ignored, leading zeros too, the year may be written with two digits, `+suffix`
    lists name several invoices ('2022-12-13196+13189'), and the number may be compacted
    ('221213422' for 2022-12-13422).
    """
    wanted, written = _number_groups(number)
    if not wanted:
        letters = re.sub(r"[^0-9A-Z]", "", number.upper())
        return len(letters) >= 4 and letters in re.sub(r"[^0-9A-Z]", "", (text or "").upper())
    seen = digit_groups(text) if seen is None else seen
    last = wanted[-1]
    if len(wanted) == 1:
        return len(written[-1]) >= 4 and last in seen
    if _consecutive(seen, wanted):
        return True
    if len(written[-1]) >= 3 and last in seen:  # '2022-12-13196+13189': the prefix is written once, before
        position = len(seen) - 1 - seen[::-1].index(last)
        before = seen[:position]
        if all(_year_in(g, before) for g in wanted[:-1]):
            return True
    _last, compacts = number_keys(number)
    raw = re.findall(r"\d+", text or "") if raw is None else raw
    return any(r.lstrip("0") in compacts for r in raw)


_EMPTY: frozenset[str] = frozenset()


@lru_cache(maxsize=1 << 17)
def number_keys(number: str) -> tuple[str | None, frozenset[str]]:
    """What text must contain for `mentions` to find this number: its last digit group (every rule but
    the compacted one needs it among the text's groups) and its compacted forms (a run of digits
    equal to one of them, leading zeros dropped). No digits at all: (None, {})."""
    wanted, written = _number_groups(number)
    if not wanted:
        return None, _EMPTY
    if len(wanted) == 1:
        return wanted[0], _EMPTY
    rest = "".join(wanted[1:])
    compacts = {
        wanted[0] + rest,
        _two_digit_year(wanted[0]) + rest,
        "".join(written).lstrip("0"),
        (_two_digit_year(written[0]) + "".join(written[1:])).lstrip("0"),
    }
    return wanted[-1], frozenset(c for c in compacts if len(c) >= 6)


@lru_cache(maxsize=1 << 17)
def _number_groups(number: str) -> tuple[list[str], list[str]]:
    return digit_groups(number), re.findall(r"\d+", number)


def _two_digit_year(group: str) -> str:
    return group[2:] if len(group) == 4 and group.startswith("20") else group


def _year_in(group: str, seen: list[str]) -> bool:
    return group in seen or _two_digit_year(group) in seen


def _consecutive(seen: list[str], wanted: list[str]) -> bool:
    options = [wanted, [_two_digit_year(wanted[0]), *wanted[1:]]]
    for option in options:
        size = len(option)
        if any(seen[i : i + size] == option for i in range(len(seen) - size + 1)):
            return True
    return False


def amounts_in_text(text: str) -> list[Decimal]:
    """'EUR 1089.00' and '1.694,00 EUR' style amounts the payer listed per invoice."""
    found = []
    for match in _AMOUNT.finditer(text or ""):
        raw = match.group(1).replace(" ", "")
        if "," in raw[-3:]:
            raw = raw.replace(".", "").replace(",", ".")
        try:
            found.append(Decimal(raw))
        except InvalidOperation:
            continue
    return found


REVERSAL_WORDS = re.compile(
    r"\b(retour|terugbetaling|terugstorting|storno|r[ée]trocession|remboursement|reversal|returned|rtrn|"
    r"ms03|ac04|ac06|md06)\b|/RTRN/",
    re.IGNORECASE,
)


def looks_like_reversal(text: str) -> bool:
    return bool(REVERSAL_WORDS.search(text or ""))
