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
    glued: list[bool] = []  # the word so far is single letters glued together ('N.V.' -> 'nv')
    for word in words:
        single = len(word) == 1 and word.isalpha()
        if single and glued and glued[-1]:
            merged[-1] += word
        else:
            merged.append(word)
            glued.append(single)
    return " ".join(w for w in merged if w not in LEGAL_FORMS)


def name_score(a: str | None, b: str | None) -> float:
    """0-100: token_sort_ratio on normalised names (token_set_ratio would give subsets 100)."""
    left, right = normalize_name(a), normalize_name(b)
    if not left or not right:
        return 0.0
    return float(fuzz.token_sort_ratio(left, right))
