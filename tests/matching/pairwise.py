"""The matcher as it was before the index: every open item on the line's side is scored. Kept as the
reference the indexed engine must agree with, decision for decision."""

from __future__ import annotations

from dataclasses import replace

from matching import BankLine, Decision, Matcher, OpenItem
from matching.index import LineKeys, side_of


class PairwiseMatcher(Matcher):
    def _candidates(self, keys: LineKeys, line: BankLine) -> list[OpenItem]:
        return [i for i in self.items if i.residual and side_of(i.currency, i.residual) == keys.side]


def allocate(matchers: list[Matcher], decision: Decision) -> None:
    """What the worker does after an automatic decision: the money applied reduces each residual."""
    for number, applied in decision.allocations.items():
        for matcher in matchers:
            item = next(i for i in matcher.items if i.number == number and i.residual)
            left = abs(item.residual) - applied
            residual = 0 if left <= 0 else left if item.residual > 0 else -left
            matcher.update(replace(item, residual=residual))
