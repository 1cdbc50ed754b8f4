"""The matcher: evidence, scores, decisions. Precision first: `auto` only on a hard identifier or a
unique exact candidate of a certain party, with a clear margin; anything else is asked, never guessed.

Only open items with some evidence for the line (a positive score for at least one reason) compete;
they come from `index.CandidateIndex`, so a line costs the same with 1,000 or 100,000 open items.

Scores follow §7 of the reconciliation reference: unique structured reference +100, invoice number in
the text +60, known IBAN of the party +40, name match +25/+10, exact amount +40, within fees +15,
more than 3 % off -40, paid before it was issued -30.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from .identifiers import digit_groups, find_ogms, find_rfs, looks_like_reversal, mentions
from .index import CandidateIndex, LineKeys, digit_runs, fee_tolerance, order_key, side_of
from .names import name_score, normalize_name
from .types import BankLine, Decision, OpenItem

MARGIN = 40
ASK_FLOOR = 25
MAX_SUBSET = 25
MAX_ASK = 3


@lru_cache(maxsize=1 << 16)
def compact_iban(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return IBAN(value, allow_invalid=True).compact
    except SchwiftyException:
        return value.replace(" ", "").upper()


@dataclass
class Scored:
    item: OpenItem
    score: int = 0
    hard: bool = False  # a hard identifier: the structured reference or the invoice number
    reasons: list[str] = field(default_factory=list)
    exact: bool = False
    within_fee: bool = False
    evidence: bool = False  # at least one reason gave points

    def add(self, points: int, reason: str, *, hard: bool = False) -> None:
        self.score += points
        self.evidence = self.evidence or points > 0
        self.reasons.append(reason)  # plain words for people; the points stay in `score`
        self.hard = self.hard or hard


class Matcher:
    """Matches bank lines against open items; `links` are confirmed IBAN -> party name pairs.

    `update` tells it an item's residual changed (money allocated), so one matcher serves a whole batch.
    """

    def __init__(self, items: Iterable[OpenItem], links: Mapping[str, str] | None = None) -> None:
        self.links = {compact_iban(k) or k: normalize_name(v) for k, v in (links or {}).items()}
        self.index = CandidateIndex(items, self.links)
        self._seen: list[str] = []
        self._raw: list[str] = []
        self._numbered: frozenset[str] | None = None  # None: any number may be in the text

    @property
    def items(self) -> list[OpenItem]:
        return self.index.items

    def update(self, item: OpenItem) -> None:
        """The open item with this number now reads `item`; a residual of zero takes it out."""
        for position in self.index.positions_of(item.number):
            self.index.replace(position, item)
            return

    def allocate(self, number: str, amount: int) -> None:
        """`amount` (minor units) of a payment applied to the open item: its residual shrinks by that much;
        covered, it is settled. The same arithmetic as the invoice rows (settled += amount)."""
        for position in self.index.positions_of(number):
            item = self.index.items[position]
            if not item.residual:
                continue
            left = abs(item.residual) - amount
            self.index.replace(
                position, replace(item, residual=(left if item.residual > 0 else -left) if left > 0 else 0)
            )
            return

    def decide_all(self, lines: Iterable[BankLine]) -> list[Decision]:
        """Each line in turn, the money of every automatic decision applied before the next line is
        decided (pure CPU: the worker runs it off the event loop)."""
        decisions = []
        for line in lines:
            decision = self.decide(line)
            for number, amount in decision.allocations.items():
                self.allocate(number, amount)
            decisions.append(decision)
        return decisions

    def decide(self, line: BankLine) -> Decision:
        if line.amount == 0:
            return Decision(line.id, "none", reasons=["zero amount"])
        text = line.remittance or ""
        iban = compact_iban(line.counterpart_iban)
        scored = self.explain(line)
        if looks_like_reversal(text) and not any(s.hard for s in scored):
            why = "looks like a reversal or a return: undo the earlier match by hand"
            return Decision(line.id, "none", reasons=[why])
        if not self.index.open_on(side_of(line.currency, line.amount)):
            return Decision(line.id, "none", reasons=["no open invoice on this side in this currency"])
        multi = self._multi(line, scored, text, iban)
        if multi is not None:
            return multi
        return self._single(line, scored, text, iban)

    def explain(self, line: BankLine) -> list[Scored]:
        """The open items with evidence for the line, best first, each with its points and reasons."""
        text = line.remittance or ""
        refs = set(find_ogms(text)) | set(find_rfs(text))
        iban = compact_iban(line.counterpart_iban)
        self._seen, self._raw = digit_groups(text), re.findall(r"\d+", text)
        self._numbered = None
        keys = LineKeys(
            side=side_of(line.currency, line.amount),
            amount=abs(line.amount),
            refs=frozenset(refs),
            digit_groups=frozenset(self._seen),
            digit_runs=digit_runs(text),
            iban=iban,
            name=normalize_name(line.counterpart_name),
        )
        scored = [
            s
            for s in (self._score(line, item, text, refs, iban) for item in self._candidates(keys, line))
            if s.evidence
        ]
        scored.sort(key=lambda s: (-s.score, *order_key(s.item)))
        return scored

    def _candidates(self, keys: LineKeys, line: BankLine) -> list[OpenItem]:
        """Open items on the line's side that may have evidence for it, in the order they were given.

        An item whose only evidence is its amount scores by amount and dates alone: exactly the amount
        40 (10 if paid before it was issued), within bank fees 15 (-15). Only the best few of those can
        reach a decision (the best, the runner-up, the questions offered; at 15 never a question), so a
        popular amount or a crowded range costs a short walk, not a score for each of its invoices."""
        found = self.index.candidates(keys)
        self._numbered = found.numbered
        strong = set(found.strong)
        items = self.index.items

        def paid_before(position: int) -> bool:
            issued = items[position].issue_date
            return bool(line.execution_date and issued and line.execution_date < issued)

        exact: list[int] = []
        exact_later: list[int] = []  # paid before they were issued: ranked after every item at 40
        for _key, position in found.exact:
            if position in strong:
                continue
            if not paid_before(position):
                exact.append(position)
                if len(exact) > MAX_ASK:
                    break
            elif len(exact_later) <= MAX_ASK:
                exact_later.append(position)
        near: list[int] = []  # the one that sets the runner-up's score: 15 when there is one, else -15
        for position in found.near:
            residual = items[position].residual
            if position in strong or abs(keys.amount - abs(residual)) > fee_tolerance(residual):
                continue
            if not paid_before(position):
                near = [position]
                break
            near = near or [position]
        return [items[p] for p in sorted(strong.union(exact, exact_later, near))]

    # -- evidence ------------------------------------------------------------------------------------

    def _party_certain(self, item: OpenItem, iban: str | None) -> bool:
        if not iban:
            return False
        if iban in item.party_ibans:
            return True
        linked = self.links.get(iban)
        return linked is not None and linked == normalize_name(item.party)

    def _score(self, line: BankLine, item: OpenItem, text: str, refs: set[str], iban: str | None) -> Scored:
        s = Scored(item)
        if item.reference and item.reference in refs:
            if self.index.sharing_reference(item.reference) == 1:
                s.add(100, "structured reference matches", hard=True)
            else:
                s.add(40, "structured reference shared by several invoices of this customer")
        maybe = self._numbered is None or item.number in self._numbered
        if maybe and mentions(text, item.number, seen=self._seen, raw=self._raw):
            s.add(60, f"invoice number {item.number} in the communication", hard=True)
        if self._party_certain(item, iban):
            s.add(40, "known account of the customer")
        names = name_score(line.counterpart_name, item.party)
        if names >= 92:
            s.add(25, "counterparty name matches")
        elif names >= 85:
            s.add(10, "counterparty name is close")
        diff = abs(line.amount) - abs(item.residual)
        if diff == 0:
            s.exact = True
            s.add(40, "same amount")
        elif abs(diff) <= fee_tolerance(item.residual):
            s.within_fee = True
            s.add(15, "amount within bank fees")
        elif abs(diff) * 100 > 3 * abs(item.residual):
            s.add(-40, "the amount differs by more than 3 %")
        if line.execution_date and item.issue_date and line.execution_date < item.issue_date:
            s.add(-30, "paid before the invoice date")
        return s

    # -- several invoices in one transfer -------------------------------------------------------------

    def _multi(self, line: BankLine, scored: list[Scored], text: str, iban: str | None) -> Decision | None:
        amount = abs(line.amount)
        named = [s for s in scored if s.hard]
        if len(named) >= 2:
            total = sum(abs(s.item.residual) for s in named)
            numbers = [s.item.number for s in named]
            if total == amount:
                return Decision(
                    line.id,
                    "auto",
                    invoices=numbers,
                    reasons=[f"the communication names {len(numbers)} invoices whose amounts add up exactly"],
                    allocations={s.item.number: abs(s.item.residual) for s in named},
                )
            subset = _subset_sum([abs(s.item.residual) for s in named], amount)
            if isinstance(subset, list):
                chosen = [named[i].item.number for i in subset]
                return Decision(
                    line.id,
                    "auto",
                    invoices=chosen,
                    reasons=[f"{len(chosen)} of the invoices named in the communication add up exactly"],
                    allocations={named[i].item.number: abs(named[i].item.residual) for i in subset},
                )
            return Decision(
                line.id,
                "ask",
                candidates=numbers[:MAX_ASK],
                reasons=["several invoices are named but their amounts do not add up to the payment"],
            )
        if named:
            return None
        if not iban or not any(self._party_certain(s.item, iban) for s in scored):
            return self._named_party_subset(line, scored, text)
        party_items = [s for s in scored if self._party_certain(s.item, iban)]
        if len(party_items) < 2 or any(abs(s.item.residual) == amount for s in party_items):
            return None  # one invoice of exactly this amount: the single-invoice rules decide
        if len(party_items) > MAX_SUBSET:
            return None
        subset = _subset_sum([abs(s.item.residual) for s in party_items], amount)
        if subset is None:
            return None
        if isinstance(subset, str):  # "many"
            return Decision(
                line.id,
                "ask",
                candidates=[s.item.number for s in party_items[:MAX_ASK]],
                reasons=["several combinations of this customer's invoices add up to the payment"],
            )
        chosen = [party_items[i].item.number for i in subset]
        return Decision(
            line.id,
            "auto",
            invoices=chosen,
            reasons=["known customer account; exactly one combination of its open invoices adds up"],
            allocations={party_items[i].item.number: abs(party_items[i].item.residual) for i in subset},
        )

    def _named_party_subset(self, line: BankLine, scored: list[Scored], text: str) -> Decision | None:
        """A sender known by name only whose invoices add up exactly: asked with just those, never auto."""
        if find_ogms(text) or find_rfs(text):
            return None  # the text points somewhere: the single-invoice rules decide
        amount = abs(line.amount)
        party_items = [s for s in scored if name_score(line.counterpart_name, s.item.party) >= 92]
        if not 2 <= len(party_items) <= MAX_SUBSET or any(abs(s.item.residual) == amount for s in party_items):
            return None
        subset = _subset_sum([abs(s.item.residual) for s in party_items], amount)
        if not isinstance(subset, list) or len(subset) < 2:
            return None
        chosen = [party_items[i].item.number for i in subset]
        why = f"{len(chosen)} invoices of this customer add up exactly to the payment (recognised by name only)"
        return Decision(line.id, "ask", candidates=chosen, reasons=[why], together=True)

    # -- one invoice ----------------------------------------------------------------------------------

    def _single(self, line: BankLine, scored: list[Scored], text: str, iban: str | None) -> Decision:
        if not scored:
            return Decision(line.id, "none", reasons=["no invoice has enough in common with this payment"])
        best = scored[0]
        runner = scored[1].score if len(scored) > 1 else 0
        candidates = [s.item.number for s in scored if s.score >= ASK_FLOOR][:MAX_ASK]
        reasons = best.reasons
        amount_ok = best.exact or best.within_fee
        if best.hard and amount_ok and best.score - runner >= MARGIN:
            return self._auto(line, best, reasons)
        if best.hard and not amount_ok:
            why = "partial payment" if abs(line.amount) < abs(best.item.residual) else "more than the amount due"
            return Decision(line.id, "ask", candidates=candidates or [best.item.number], reasons=[*reasons, why])
        unique = self._unique_exact_of_certain_party(scored, iban, text)
        if unique is not None:
            return self._auto(
                line, unique, [*unique.reasons, "the only open invoice of this known customer with exactly this amount"]
            )
        if candidates:
            return Decision(line.id, "ask", candidates=candidates, reasons=reasons)
        return Decision(line.id, "none", reasons=["no invoice has enough in common with this payment"])

    def _unique_exact_of_certain_party(self, scored: list[Scored], iban: str | None, text: str) -> Scored | None:
        if not iban:
            return None
        party = [s for s in scored if self._party_certain(s.item, iban)]
        exact = [s for s in party if s.exact]
        if len(exact) != 1:
            return None
        if any(s.hard for s in scored) or find_ogms(text) or find_rfs(text):
            return None  # the text points somewhere: do not overrule it
        return exact[0]

    def _auto(self, line: BankLine, best: Scored, reasons: list[str]) -> Decision:
        applied = min(abs(line.amount), abs(best.item.residual))
        if best.within_fee:
            applied = abs(best.item.residual)  # the fee is written off, the invoice is paid
        return Decision(
            line.id, "auto", invoices=[best.item.number], reasons=reasons, allocations={best.item.number: applied}
        )


def _subset_sum(values: Sequence[int], target: int) -> list[int] | str | None:
    """Indexes of the one subset that sums exactly to target; "many" when several do; None when none."""
    ways: dict[int, list[int] | str] = {0: []}
    for index, value in enumerate(values):
        for total, chosen in list(ways.items()):
            new = total + value
            if new > target:
                continue
            combined: list[int] | str = chosen if isinstance(chosen, str) else [*chosen, index]
            if new in ways and ways[new] != combined:
                ways[new] = "many"
            elif new not in ways:
                ways[new] = combined
    result = ways.get(target)
    if result == [] or result is None:
        return None
    return result


def match(
    lines: Iterable[BankLine], items: Iterable[OpenItem], links: Mapping[str, str] | None = None
) -> list[Decision]:
    """Decide every line against the same open items (no residual carried between lines)."""
    matcher = Matcher(items, links)
    return [matcher.decide(line) for line in lines]
