"""Pure matching engine: identifiers, names, scores and decisions; no I/O."""

from .engine import Matcher, match
from .identifiers import find_ogms, find_rfs, mentions, normalize_reference
from .names import name_score, normalize_name
from .types import BankLine, Decision, OpenItem

__all__ = [
    "BankLine",
    "Decision",
    "Matcher",
    "OpenItem",
    "find_ogms",
    "find_rfs",
    "match",
    "mentions",
    "name_score",
    "normalize_name",
    "normalize_reference",
]
