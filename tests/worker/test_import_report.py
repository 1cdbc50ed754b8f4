"""What a re-import says it changed: amounts in their currency's decimals, dates as dates, none as (none)."""

from __future__ import annotations

from datetime import date

from storage.invoices import Change
from worker.import_report import change_json, describe_change

CHANGE = Change(
    "INV-7", "sales", {"amount": (123_456, 130_000), "due_date": (date(2026, 10, 31), None), "currency": ("EUR", "EUR")}
)


def test_a_change_is_said_field_by_field_for_people() -> None:
    assert describe_change(CHANGE) == (
        "INV-7: amount 1234.56 -> 1300.00, due date 2026-10-31 -> (none), currency EUR -> EUR"
    )


def test_a_change_in_currency_reads_each_amount_in_its_own() -> None:
    yen = Change("INV-8", "sales", {"amount": (1_000, 1_000), "currency": ("EUR", "JPY")}, "JPY")
    assert change_json(yen)["changed"]["amount"] == {"from": "10.00", "to": "1000"}


def test_an_amount_changed_alone_is_read_in_the_invoices_own_currency() -> None:
    yen = Change("INV-9", "sales", {"amount": (1_000, 1_200)}, "JPY")  # the currency did not change
    assert change_json(yen)["changed"]["amount"] == {"from": "1000", "to": "1200"}


def test_a_change_for_programs_keeps_field_names_and_plain_values() -> None:
    assert change_json(CHANGE) == {
        "number": "INV-7",
        "kind": "sales",
        "changed": {
            "amount": {"from": "1234.56", "to": "1300.00"},
            "due_date": {"from": "2026-10-31", "to": None},
            "currency": {"from": "EUR", "to": "EUR"},
        },
    }
