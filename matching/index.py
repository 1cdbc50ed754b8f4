"""Where a bank line's candidates come from: lookups built once over the open items and kept up to date
as money is allocated, so a line is scored against the few items it has evidence for, not against all.

Every item that could earn a positive score for a line is returned (a superset: the scorer decides).
The evidence that gives points is each looked up by its own key:

- structured and RF references, by the normalised reference;
- invoice numbers, by their last digit group and by their compacted forms, as `identifiers.mentions`
  reads them in noisy text; numbers without digits are few and always checked;
- the party's known IBANs and the confirmed IBAN -> name links;
- amounts: the exact residual and every residual within the bank-fee tolerance, by a range over the
  sorted residuals;
- counterparty names: the distinct party names close enough to the line's (rapidfuzz with a cutoff),
  cached per name for the life of the index.
"""

from __future__ import annotations

import bisect
import gc
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz, process

from .identifiers import number_keys
from .names import normalize_name
from .types import OpenItem

NAME_CUTOFF = 85  # below this a name earns no points (engine: +10 from 85, +25 from 92)

Side = tuple[str, bool]  # (currency, incoming)


def side_of(currency: str, amount: int) -> Side:
    return currency, amount > 0


def sorted_tokens(normalized: str) -> str:
    """What token_sort_ratio compares: the words in order, so the ratio of these equals it."""
    return " ".join(sorted(normalized.split()))


@contextmanager
def collector_paused() -> Iterator[None]:
    """Building the lookups makes hundreds of thousands of long-lived objects; each batch of them would
    start a full collection over everything made so far (most of the build's time at 100,000 items).
    Nothing built here forms a cycle, so the cyclic collector can wait until the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class LineKeys:
    """What one line can be looked up by (computed once per line by the engine)."""

    side: Side
    amount: int  # absolute, minor units
    refs: frozenset[str]
    digit_groups: frozenset[str]
    digit_runs: frozenset[str]  # raw runs with leading zeros dropped (compacted numbers)
    iban: str | None
    name: str  # normalised counterparty name


def order_key(item: OpenItem) -> tuple[date, str]:
    """How the engine orders items of equal score: oldest due (or issue) date first, then the number."""
    return item.due_date or item.issue_date or date.min, item.number


class _Amounts:
    """Absolute residuals of one side: the distinct values sorted (for ranges), and for each value its
    items in the engine's order (so the best few of a popular amount are found without scoring all)."""

    def __init__(self) -> None:
        self.values: list[int] = []  # distinct, sorted
        self.groups: dict[int, list[tuple[tuple[date, str], int]]] = {}  # value -> [(order key, position)]
        self.sorted = False  # while the index is built, sorted once at the first look-up

    def add(self, value: int, position: int, key: tuple[date, str]) -> None:
        group = self.groups.get(value)
        if group is None:
            self.groups[value] = [(key, position)]
            if self.sorted:
                bisect.insort(self.values, value)
        elif self.sorted:
            bisect.insort(group, (key, position))
        else:
            group.append((key, position))

    def sort(self) -> None:
        if not self.sorted:
            self.values = sorted(self.groups)
            for group in self.groups.values():
                group.sort()
            self.sorted = True

    def remove(self, value: int, position: int, key: tuple[date, str]) -> None:
        self.sort()
        group = self.groups.get(value)
        if group is None:
            return
        at = bisect.bisect_left(group, (key, position))
        if at < len(group) and group[at] == (key, position):
            del group[at]
        if not group:
            del self.groups[value]
            del self.values[bisect.bisect_left(self.values, value)]

    def within(self, low: int, high: int, *, besides: int) -> Iterable[int]:
        """Positions of every residual in [low, high] except those equal to `besides`."""
        self.sort()
        start, end = bisect.bisect_left(self.values, low), bisect.bisect_right(self.values, high)
        for value in self.values[start:end]:
            if value != besides:
                for _key, position in self.groups[value]:
                    yield position

    def exactly(self, value: int) -> list[tuple[tuple[date, str], int]]:
        self.sort()
        return self.groups.get(value, [])


@dataclass(frozen=True)
class Candidates:
    """A line's candidates: `strong` have evidence beyond the amount (to be scored, in item order);
    `exact` are the items of exactly the line's amount in the engine's order, and `near` those within
    the fee window (a superset), for the engine to take the few that can matter."""

    strong: list[int]
    exact: list[tuple[tuple[date, str], int]]
    near: Iterable[int]
    numbered: frozenset[str]  # the only invoice numbers the line's text can mention


def fee_tolerance(residual: int) -> int:
    """Bank fees and rounding: up to 2.00 or 1 %, whichever is larger."""
    return max(200, abs(residual) // 100)


def amount_window(amount: int) -> tuple[int, int]:
    """Every residual R with |amount - R| <= max(2.00, 1 % of R) lies in this range (engine.fee_tolerance)."""
    low = min(amount - 200, amount * 100 // 101 - 1)
    high = max(amount + 200, (amount + 1) * 100 // 99 + 2)
    return low, high


class CandidateIndex:
    """Lookups over open items by position; `replace` keeps them true when an item's residual changes."""

    def __init__(self, items: Iterable[OpenItem], links: Mapping[str, str]) -> None:
        self.items: list[OpenItem] = []
        self.links = links  # compact IBAN -> normalised party name
        self._by_number: dict[str, list[int]] = {}
        self._by_reference: dict[str, set[int]] = {}
        self._by_last_group: dict[str, set[int]] = {}
        self._by_compact: dict[str, set[int]] = {}
        self._lettered: set[int] = set()  # numbers without digits, checked for every line
        self._by_iban: dict[str, set[int]] = {}
        self._by_party: dict[str, set[int]] = {}  # normalised name -> positions
        self._by_sorted_name: dict[str, set[str]] = {}  # sorted tokens -> normalised names
        self._amounts: dict[Side, _Amounts] = {}
        self._open: dict[Side, int] = {}
        self._close_names: dict[str, list[str]] = {}  # cache: line name -> close normalised party names
        self._choices: list[str] | None = None
        with collector_paused():
            for item in items:
                self._add(len(self.items), item)
                self.items.append(item)

    # -- keeping it true --------------------------------------------------------------------------------

    def positions_of(self, number: str) -> list[int]:
        return self._by_number.get(number, [])

    def replace(self, position: int, item: OpenItem) -> None:
        """The item at `position` now reads `item` (a residual reduced, or settled to zero)."""
        self._remove(position, self.items[position])
        self.items[position] = item
        self._add(position, item)

    def sharing_reference(self, reference: str) -> int:
        """How many open items carry this structured reference (one: it identifies the invoice)."""
        return len(self._by_reference.get(reference, ()))

    def open_on(self, side: Side) -> int:
        return self._open.get(side, 0)

    def _add(self, position: int, item: OpenItem) -> None:
        self._by_number.setdefault(item.number, []).append(position)
        if not item.residual:
            return  # settled: found by number only (to be replaced), never a candidate
        side = side_of(item.currency, item.residual)
        self._open[side] = self._open.get(side, 0) + 1
        self._amounts.setdefault(side, _Amounts()).add(abs(item.residual), position, order_key(item))
        if number_keys(item.number)[0] is None:
            self._lettered.add(position)
        party = normalize_name(item.party)
        if party and party not in self._by_party:
            self._by_sorted_name.setdefault(sorted_tokens(party), set()).add(party)
            self._close_names.clear()  # a new name may be close to a line name already looked up
            self._choices = None
        for index, key in self._keys(item):
            index.setdefault(key, set()).add(position)

    def _remove(self, position: int, item: OpenItem) -> None:
        at = self._by_number.get(item.number, [])
        if position in at:
            at.remove(position)
        if not item.residual:
            return
        side = side_of(item.currency, item.residual)
        self._open[side] -= 1
        self._amounts[side].remove(abs(item.residual), position, order_key(item))
        self._lettered.discard(position)
        for index, key in self._keys(item):
            index.get(key, set()).discard(position)  # a name stays among the choices: harmless, it finds nothing

    def _keys(self, item: OpenItem) -> list[tuple[dict[str, set[int]], str]]:
        """Every (lookup, key) an open item is filed under, for adding and removing alike."""
        keys: list[tuple[dict[str, set[int]], str]] = []
        if item.reference:
            keys.append((self._by_reference, item.reference))
        last, compacts = number_keys(item.number)
        if last is not None:
            keys.append((self._by_last_group, last))
            keys.extend((self._by_compact, c) for c in compacts)
        keys.extend((self._by_iban, iban) for iban in item.party_ibans)
        party = normalize_name(item.party)
        if party:
            keys.append((self._by_party, party))
        return keys

    # -- looking up -------------------------------------------------------------------------------------

    def candidates(self, line: LineKeys) -> Candidates:
        """The open items on the line's side that may have evidence for it."""
        numbered: set[int] = set(self._lettered)
        for group in line.digit_groups:
            numbered |= self._by_last_group.get(group, set())
        for run in line.digit_runs:
            numbered |= self._by_compact.get(run, set())
        found = set(numbered)
        for ref in line.refs:
            found |= self._by_reference.get(ref, set())
        if line.iban:
            found |= self._by_iban.get(line.iban, set())
            linked = self.links.get(line.iban)
            if linked:
                found |= self._by_party.get(linked, set())
        for name in self._close(line.name):
            found |= self._by_party.get(name, set())
        items = self.items
        strong = sorted(
            p for p in found if items[p].residual and side_of(items[p].currency, items[p].residual) == line.side
        )
        numbers = frozenset(items[p].number for p in numbered)
        amounts = self._amounts.get(line.side)
        if amounts is None:
            return Candidates(strong, [], iter(()), numbers)
        near = amounts.within(*amount_window(line.amount), besides=line.amount)
        return Candidates(strong, amounts.exactly(line.amount), near, numbers)

    def _close(self, name: str) -> list[str]:
        """Normalised party names whose token_sort_ratio with `name` is at least NAME_CUTOFF (rapidfuzz
        compares a pair in about 0.15 us; the cost is distinct payer names x distinct customer names)."""
        if not name:
            return []
        close = self._close_names.get(name)
        if close is None:
            if self._choices is None:
                self._choices = list(self._by_sorted_name)
            hits = process.extract(
                sorted_tokens(name), self._choices, scorer=fuzz.ratio, score_cutoff=NAME_CUTOFF, limit=None
            )
            close = [party for choice, _score, _index in hits for party in self._by_sorted_name[choice]]
            self._close_names[name] = close
        return close


def digit_runs(text: str) -> frozenset[str]:
    return frozenset(run.lstrip("0") for run in re.findall(r"\d+", text))
