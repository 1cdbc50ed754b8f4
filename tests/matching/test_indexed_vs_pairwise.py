"""The indexed engine decides exactly as scoring every open item would, line after line, while the
money it allocates changes what is still open."""

from __future__ import annotations

import os

import pytest

from harness.evaluate import DATA
from harness.volume import generate
from invoices import parse_json
from matching import BankLine, Matcher, OpenItem
from worker.mappers import bank_line, open_item
from worker.reconcile import transactions_from_json

from .pairwise import PairwiseMatcher, allocate


def walk(items: list[OpenItem], lines: list[BankLine], links: dict[str, str] | None = None) -> dict[str, int]:
    indexed, pairwise = Matcher(items, links), PairwiseMatcher(items, links)
    counts = {"auto": 0, "ask": 0, "none": 0}
    decided = []
    for line in lines:
        mine, reference = indexed.decide(line), pairwise.decide(line)
        assert mine == reference, line
        counts[mine.decision] += 1
        decided.append(mine)
        if mine.decision == "auto":
            allocate([indexed, pairwise], mine)
    # the worker's way (Matcher.decide_all applies each allocation itself) decides the same
    assert Matcher(items, links).decide_all(lines) == decided
    return counts


def test_the_evaluation_set_is_decided_the_same() -> None:
    items = [open_item(i) for i in parse_json((DATA / "invoices.json").read_bytes(), "invoices.json")]
    lines = [bank_line(t) for t in transactions_from_json((DATA / "transactions.json").read_bytes(), "t.json")]
    counts = walk(items, lines)
    assert counts["auto"] > 50 and counts["ask"] > 10 and counts["none"] > 5


# `make mutate` runs each test once per mutant: there, two books (MUTATION_QUICK=1) instead of twenty.
@pytest.mark.parametrize("seed", range(2 if os.environ.get("MUTATION_QUICK") else 20))
def test_a_generated_book_is_decided_the_same(seed: int) -> None:
    """20 books of 400 open invoices and 500 lines: 10,000 lines in all, each book small enough for
    the pairwise reference to walk in about a second."""
    volume = generate(400, 500, seed=seed)
    links = {volume.parties[0].ibans[0]: volume.parties[1].name}  # a confirmed link to another name
    counts = walk(volume.invoices, volume.lines, links)
    # every kind of decision is exercised, or the comparison proves little
    assert min(counts.values()) >= 50, counts
