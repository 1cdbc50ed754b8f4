"""The points of each kind of evidence, as §7 of the reconciliation reference sets them.

The decisions depend on these numbers through the 40-point lead and the 25-point ask floor, so each
is pinned on its own: one line and one open item that share exactly one kind of evidence (plus the
amount, when the evidence alone would give no points to compare).
"""

from __future__ import annotations

from datetime import date

import pytest

from matching import BankLine, Matcher, OpenItem

IBAN = "BE71096123456769"
OTHER_IBAN = "BE68539007547034"
OGM = "+++010/8068/17183+++"
OGM_DIGITS = "010806817183"


def item(**changes: object) -> OpenItem:
    values: dict = {
        "number": "2026-0042",
        "residual": 100_000,
        "currency": "EUR",
        "party": "Zeta Logistics",
        "reference": None,
        "party_ibans": frozenset(),
        "issue_date": date(2026, 10, 1),
        "due_date": date(2026, 10, 31),
    }
    return OpenItem(**(values | changes))


def line(**changes: object) -> BankLine:
    values: dict = {
        "id": "t1",
        "amount": 100_000,
        "currency": "EUR",
        "counterpart_name": None,
        "counterpart_iban": OTHER_IBAN,
        "remittance": "",
        "execution_date": date(2026, 11, 2),
    }
    return BankLine(**(values | changes))


SAME = "same amount"
REF = "structured reference matches"

CASES = [
    ("unique structured reference", line(remittance=OGM), [item(reference=OGM_DIGITS)], 100 + 40, True, [REF, SAME]),
    (
        "reference shared by two invoices",
        line(remittance=OGM),
        [item(reference=OGM_DIGITS), item(number="2026-0043", reference=OGM_DIGITS, residual=7_000)],
        40 + 40,
        False,
        ["structured reference shared by several invoices of this customer", SAME],
    ),
    (
        "invoice number in the text",
        line(remittance="factuur 2026-0042"),
        [item()],
        60 + 40,
        True,
        ["invoice number 2026-0042 in the communication", SAME],
    ),
    (
        "unique RF creditor reference",
        line(remittance="RF18 5390 0754 7034"),
        [item(reference="RF18539007547034")],
        100 + 40,
        True,
        [REF, SAME],
    ),
    (
        "invoice number written compact (2022-12-13422 as 221213422)",
        line(remittance="betaling 221213422"),
        [item(number="2022-12-13422")],
        60 + 40,
        True,
        ["invoice number 2022-12-13422 in the communication", SAME],
    ),
    (
        "invoice number without digits in the text",
        line(remittance="ref ZETA-ABCD"),
        [item(number="ZETA-ABCD")],
        60 + 40,
        True,
        ["invoice number ZETA-ABCD in the communication", SAME],
    ),
    (
        "known account of the customer",
        line(counterpart_iban=IBAN),
        [item(party_ibans=frozenset({IBAN}))],
        40 + 40,
        False,
        ["known account of the customer", SAME],
    ),
    (
        "name matches",
        line(counterpart_name="ZETA LOGISTICS NV"),
        [item()],
        25 + 40,
        False,
        ["counterparty name matches", SAME],
    ),
    (
        "name scores exactly 92: matches",
        line(counterpart_name="Bouwbedrijf Van Hoorebika"),
        [item(party="Bouwbedrijf Van Hoorebeke")],
        25 + 40,
        False,
        ["counterparty name matches", SAME],
    ),
    (
        "name is close",
        line(counterpart_name="Zeta Logistik"),
        [item()],
        10 + 40,
        False,
        ["counterparty name is close", SAME],
    ),
    (
        "name scores exactly 85: close",
        line(counterpart_name="Drukkerey Verstroate"),
        [item(party="Drukkerij Verstraete")],
        10 + 40,
        False,
        ["counterparty name is close", SAME],
    ),
    ("amount alone", line(), [item()], 40, False, [SAME]),
    (
        "amount within bank fees",
        line(amount=99_950, remittance=OGM),
        [item(reference=OGM_DIGITS)],
        100 + 15,
        True,
        [REF, "amount within bank fees"],
    ),
    (
        "amount exactly the bank fee tolerance off",
        line(amount=99_000, remittance=OGM),
        [item(reference=OGM_DIGITS)],
        100 + 15,
        True,
        [REF, "amount within bank fees"],
    ),
    (
        "amount more than 3 % off",
        line(amount=90_000, remittance=OGM),
        [item(reference=OGM_DIGITS)],
        100 - 40,
        True,
        [REF, "the amount differs by more than 3 %"],
    ),
    (
        "amount 3.5 % off",
        line(amount=96_500, remittance=OGM),
        [item(reference=OGM_DIGITS)],
        100 - 40,
        True,
        [REF, "the amount differs by more than 3 %"],
    ),
    ("amount exactly 3 % off", line(amount=97_000, remittance=OGM), [item(reference=OGM_DIGITS)], 100, True, [REF]),
    (
        "paid before the invoice date",
        line(execution_date=date(2026, 9, 30)),
        [item()],
        40 - 30,
        False,
        [SAME, "paid before the invoice date"],
    ),
    ("paid on the invoice date", line(execution_date=date(2026, 10, 1)), [item()], 40, False, [SAME]),
]


@pytest.mark.parametrize(
    ("evidence", "bank_line", "items", "points", "hard", "reasons"), CASES, ids=[c[0] for c in CASES]
)
def test_each_kind_of_evidence_gives_its_points(
    evidence: str, bank_line: BankLine, items: list[OpenItem], points: int, hard: bool, reasons: list[str]
) -> None:
    best = Matcher(items).explain(bank_line)[0]
    assert best.item == items[0]
    assert (best.score, bool(best.hard)) == (points, hard), evidence
    assert best.reasons == reasons


def test_the_name_thresholds_sit_at_92_and_85() -> None:
    from matching.names import name_score

    # The names in the table above really sit on either side of the thresholds they test.
    assert name_score("ZETA LOGISTICS NV", "Zeta Logistics") >= 92
    assert name_score("Bouwbedrijf Van Hoorebika", "Bouwbedrijf Van Hoorebeke") == 92
    assert 85 <= name_score("Zeta Logistik", "Zeta Logistics") < 92
    assert name_score("Drukkerey Verstroate", "Drukkerij Verstraete") == 85


def test_only_items_with_evidence_are_explained() -> None:
    unrelated = item(number="2026-0099", residual=55_500, party="Somebody Else")
    assert [s.item.number for s in Matcher([item(), unrelated]).explain(line())] == ["2026-0042"]
