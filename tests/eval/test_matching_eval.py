"""The matcher on the evaluation set: 100 % precision of auto decisions, at least 80 % decided
automatically among the payments with one right answer, and every question offers the right invoice."""

from __future__ import annotations

import json

from harness.evaluate import DATA, evaluate
from tests.eval.generate import build


def test_the_set_is_large_enough_and_up_to_date() -> None:
    book = build()
    assert len(book.lines) >= 150 and len(book.invoices) >= 100
    stale = "run `python -m tests.eval.generate` after changing the generator"
    assert json.loads((DATA / "transactions.json").read_text()) == book.lines, stale
    assert json.loads((DATA / "invoices.json").read_text()) == {"invoices": book.invoices}, stale
    assert json.loads((DATA / "expected.json").read_text()) == book.expected, stale


def test_auto_decisions_are_never_wrong_and_most_are_automatic() -> None:
    result = evaluate()
    assert result.wrong == []
    assert result.precision == 1.0
    assert result.automatic_share >= 0.80
    assert result.asks == result.asks_with_truth


def test_every_line_gets_the_decision_the_set_expects() -> None:
    """Auto, ask or none, line by line: a line that should be left alone is not asked about either
    (the checks above would let a "none" turn into a question, or a question into "none")."""
    assert evaluate().unexpected == []


def test_every_case_of_the_reference_is_in_the_set() -> None:
    cases = {e["case"] for e in json.loads((DATA / "expected.json").read_text())}
    assert {
        "ogm",
        "rf",
        "invoice_number",
        "several_invoices",
        "partial",
        "overpaid",
        "same_amount_several_customers",
        "fees_deducted",
        "refund_credit_note",
        "supplier_payment",
        "reversal",
        "not_an_invoice",
        "partner_ogm",
        "invalid_ogm",
    } <= cases
