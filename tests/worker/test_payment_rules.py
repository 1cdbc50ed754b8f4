"""What a payment form may hold: checked without I/O, each problem said beside its field."""

from __future__ import annotations

from datetime import date

import pytest

from worker.payment_rules import (
    AccountChoice,
    Communication,
    check_bic,
    check_form,
    check_iban,
    communication_for,
    parse_amount_minor,
    parse_communication,
    sepa_text,
)

TODAY = date(2026, 11, 30)
EUR = AccountChoice(1, "Current", "BE50737012345618", "EUR", True, True)
USD = AccountChoice(2, "Dollars", "BE11363123456748", "USD", True, True)
NO_PAYMENTS = AccountChoice(3, "Old bank", "BE08001765432113", "EUR", False, False)
ACCOUNTS = {a.id: a for a in (EUR, USD, NO_PAYMENTS)}
GOOD = {
    "creditor": "Brasserie Eclair SRL",
    "iban": "BE68 5390 0754 7034",
    "bic": "",
    "amount": "1.234,56",
    "communication": "+++090/9337/55493+++",
    "date": "2026-12-02",
    "account": "1",
}


def test_names_and_texts_become_what_banks_take() -> None:
    assert sepa_text("Café & Zöhne — «Liège»", 60) == "Cafe + Zohne Liege"
    assert sepa_text("x" * 80, 60) == "x" * 60


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("+++090/9337/55493+++", Communication("090933755493", True)),
        ("090/9337/55493", Communication("090933755493", True)),
        ("+++090/9337/55494+++", Communication("+++090/9337/55494+++", False)),  # wrong check digits: as text
        ("RF18 5390 0754 7034", Communication("RF18539007547034", False)),
        ("Order #42 (Liège)", Communication("Order 42 (Liege)", False)),
        (None, Communication("Invoice INV-7", False)),
    ],
)
def test_the_communication_comes_from_the_invoice(reference: str | None, expected: Communication) -> None:
    assert communication_for(reference, "INV-7") == expected


def test_a_typed_communication_is_checked() -> None:
    assert parse_communication("+++090/9337/55493+++") == (Communication("090933755493", True), None)
    assert Communication("090933755493", True).shown == "+++090/9337/55493+++"
    assert "check digits" in str(parse_communication("+++090/9337/55494+++")[1])
    assert "refuse" in str(parse_communication("Invoice #42 & more")[1])
    assert "at most 140" in str(parse_communication("x" * 141)[1])
    assert parse_communication("  ")[0] is None


def test_ibans_and_bics() -> None:
    assert check_iban("be68 5390 0754 7034") == ("BE68539007547034", None)
    assert "not a valid IBAN" in str(check_iban("BE68539007547035")[1])
    assert "outside the SEPA zone" in str(check_iban("BR1500000000000010932840814P2")[1])
    assert check_bic("") == (None, None) and check_bic("gebabebb") == ("GEBABEBB", None)
    assert "not a valid BIC" in str(check_bic("GEBAXEBB")[1])


def test_amounts_are_exact_and_more_than_zero() -> None:
    assert parse_amount_minor("1.234,56", "EUR") == (123456, None)
    assert parse_amount_minor("1234.5", "EUR") == (123450, None)
    assert "more than zero" in str(parse_amount_minor("0", "EUR")[1])
    assert "more than zero" in str(parse_amount_minor("-5", "EUR")[1])
    assert parse_amount_minor("1.005", "EUR")[0] is None  # more decimals than the euro has: not rounded
    assert parse_amount_minor("1e9", "EUR")[0] is None


def test_a_good_form_is_checked_into_a_payment() -> None:
    form, errors = check_form(GOOD, currency="EUR", today=TODAY, accounts=ACCOUNTS)
    assert errors == {}
    assert form is not None
    assert (form.iban, form.amount, form.communication.structured, form.account_id) == (
        "BE68539007547034",
        123456,
        True,
        1,
    )


def test_every_wrong_field_is_named_at_once() -> None:
    bad = {
        "creditor": "Ça & Co <script>",
        "iban": "BE00",
        "bic": "XX",
        "amount": "abc",
        "communication": "+++090/9337/55494+++",
        "date": "2026-11-29",
        "account": "2",
    }
    _form, errors = check_form(bad, currency="EUR", today=TODAY, accounts=ACCOUNTS)
    assert set(errors) == {"creditor", "iban", "bic", "amount", "communication", "date", "account"}
    assert "in the past" in errors["date"] and "holds USD" in errors["account"]
    _form, errors = check_form({**GOOD, "account": "3"}, currency="EUR", today=TODAY, accounts=ACCOUNTS)
    assert "does not allow payments" in errors["account"]
    _form, errors = check_form({**GOOD, "account": "99"}, currency="EUR", today=TODAY, accounts=ACCOUNTS)
    assert "Choose the account" in errors["account"]
