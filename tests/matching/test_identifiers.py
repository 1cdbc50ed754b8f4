"""Evidence found in real remittance strings (reconciliation reference §2.1.4 and §5.3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from matching.identifiers import amounts_in_text, find_ogms, find_rfs, looks_like_reversal, mentions
from matching.names import name_score, normalize_name


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("FACTURE 2022-12-12625", "2022-12-12625"),
        ("F 13110862", "F13110862"),
        ("2022-12-13297+13298", "2022-12-13298"),
        ("2022-12-13196+13189+13343+13276+13101+13232+13479", "2022-12-13189"),
        ("221213422", "2022-12-13422"),
        ("/OBO/ DHL Global Match (Belgium)N.V./INV/2022-12-13540/2022-12-13540, 30.12.2022", "2022-12-13540"),
        ("INV 2026-013", "INV/2026/0013"),
        ("factuur 2026/13", "INV/2026/0013"),
        ("Facture 2023-01-00267", "2023-01-00267"),
    ],
)
def test_invoice_numbers_are_found_in_noisy_text(text: str, number: str) -> None:
    assert mentions(text, number)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("2022-12-13196+13189", "2022-12-13190"),
        ("invoice 2026-14", "INV/2026/0013"),
        ("payment 12345", "INV-2026-12"),
        ("Kosten 13", "INV-13"),
        ("2023-12-13422", "2022-12-13422"),
    ],
)
def test_other_numbers_are_not_taken_for_the_invoice(text: str, number: str) -> None:
    assert not mentions(text, number)


def test_structured_communications_in_every_form_and_only_valid_ones() -> None:
    text = (
        "+++240/2838/42818+++ ; ***010/8068/17183*** ; 240 2838 42818 ; 010-8068-17183 ; "
        "112/4554/46812 ; 000/0000/09797"
    )
    assert find_ogms(text) == ["240283842818", "010806817183", "000000009797"]
    assert find_ogms("F 130602535549") == []  # 12 digits, not a valid OGM (§5.3 row 19)


def test_rf_references() -> None:
    assert find_rfs("ref RF18 5390 0754 7034 and more") == ["RF18539007547034"]
    assert find_rfs("RF80INV20260013") == ["RF80INV20260013"]
    assert find_rfs("RF19 5390 0754 7034") == []


def test_amounts_names_and_reversals() -> None:
    assert amounts_in_text("2022-12-13296/EUR 1089.00/EUR 1694.00/EUR 786,50") == [
        Decimal("1089.00"),
        Decimal("1694.00"),
        Decimal("786.50"),
    ]
    assert normalize_name("BVBA.BAKKER PIET") == "bakker piet"
    assert normalize_name("Atelier Lumière SRL") == "atelier lumiere"
    assert name_score("TRAXYS EUROPE S A", "Traxys Europe SA") >= 92
    assert name_score("Studio Gent", "Studio Gent Noord") < 92
    assert looks_like_reversal("/RTRN/MS03/ Factuurnr 123456") and not looks_like_reversal("Facture 2026-01")


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("Garage De Smet N.V.", "garage de smet"),  # 'de' is a word, the letters N and V a legal form
        ("Bakkerij Peeters B.V.B.A.", "bakkerij peeters"),
        ("Imprimerie Dubois S.P.R.L.", "imprimerie dubois"),
        ("Studio Mons S A", "studio mons"),
        ("J. P. Peeters", "jp peeters"),  # initials glue too, and stay
        ("Transport De Vos", "transport de vos"),
    ],
)
def test_legal_forms_written_letter_by_letter_are_recognised(written: str, normal: str) -> None:
    assert normalize_name(written) == normal
