"""Counterparty names: normalised for comparison (case, accents, legal forms and punctuation dropped)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz

LEGAL_FORMS = frozenset(
    "nv sa bv srl bvba sprl cv scrl vof commv comm v vzw asbl se ag gmbh ltd llc sarl sas inc co cie plc bvba.".split()
)


@lru_cache(maxsize=1 << 16)
def normalize_name(name: str | None) -> str:
    if not name:
        return ""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    words = [w for w in re.split(r"[^a-z0-9]+", ascii_name) if w]
    merged: list[str] = []
    for word in words:  # 'S A', 'N.V.' -> 'sa', 'nv'
        if len(word) == 1 and merged and len(merged[-1]) < 4 and merged[-1].isalpha() and _letters(merged[-1]):
            merged[-1] += word
        else:
            merged.append(word)
    return " ".join(w for w in merged if w not in LEGAL_FORMS)


def _letters(word: str) -> bool:
    """A run of single letters being glued back together (not a real short word such as 'de')."""
    return len(word) == 1 or word in {"s", "n", "b", "sa", "nv", "bv", "cv", "sr", "sp", "ag"}


def name_score(a: str | None, b: str | None) -> float:
    """0-100: token_sort_ratio on normalised names (token_set_ratio would give subsets 100)."""
    left, right = normalize_name(a), normalize_name(b)
    if not left or not right:
        return 0.0
    return float(fuzz.token_sort_ratio(left, right))
