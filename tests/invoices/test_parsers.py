"""Invoices from the Peppol examples, CSV and JSON; hostile and malformed input refused clearly."""

from __future__ import annotations

from datetime import date

import pytest

from invoices import InvoiceError, parse_csv, parse_json, parse_ubl
from tests.conftest import SHARED_FIXTURES

UBL = SHARED_FIXTURES / "ubl"


def test_peppol_base_invoice() -> None:
    invoice = parse_ubl((UBL / "peppol-base-example.xml").read_bytes(), "base.xml")
    assert (invoice.number, invoice.kind, invoice.currency, invoice.amount) == ("Snippet1", "sales", "EUR", 165625)
    assert (invoice.issue_date, invoice.due_date) == (date(2017, 11, 13), date(2017, 12, 1))
    assert invoice.payment_reference == "Snippet1" and invoice.payee_iban == "IBAN32423940"
    assert invoice.counterparty_name == "Buyer Official Name" and invoice.counterparty_vat == "SE4598375937"
    assert invoice.expected_movement == 165625


def test_credit_note_takes_its_due_date_from_payment_means_and_moves_money_out() -> None:
    note = parse_ubl((UBL / "peppol-base-creditnote-correction.xml").read_bytes(), "cn.xml")
    assert note.kind == "sales_credit_note" and note.amount == 165625 and note.expected_movement == -165625


def test_negative_invoice_correction_is_a_credit_note() -> None:
    note = parse_ubl((UBL / "peppol-base-negative-inv-correction.xml").read_bytes(), "neg.xml")
    assert (note.number, note.kind, note.amount) == ("Correction1", "sales_credit_note", 165625)


def test_allowance_and_vat_exempt_examples_and_the_purchase_side() -> None:
    allowance = parse_ubl((UBL / "peppol-Allowance-example.xml").read_bytes(), "a.xml")
    assert allowance.amount == 612500
    exempt = parse_ubl((UBL / "peppol-vat-category-E.xml").read_bytes(), "e.xml", side="purchase")
    assert exempt.kind == "purchase" and exempt.currency == "GBP" and exempt.expected_movement == -120000
    assert exempt.counterparty_iban == "SE1212341234123412"  # the supplier's account


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol2;</Invoice>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>&secret;</ID></Invoice>"""
DTD = b"""<?xml version="1.0"?><!DOCTYPE Invoice SYSTEM "http://evil.example/x.dtd">
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>"""


@pytest.mark.parametrize("payload", [BOMB, EXTERNAL, DTD], ids=["entity_expansion", "external_entity", "dtd"])
def test_xml_attacks_are_refused(payload: bytes) -> None:
    with pytest.raises(InvoiceError, match="refused: .*Forbidden"):
        parse_ubl(payload, "evil.xml")


def test_malformed_and_incomplete_xml_name_the_place() -> None:
    with pytest.raises(InvoiceError, match=r"line \d+, column \d+: not well-formed"):
        parse_ubl(b"<Invoice><cbc:ID>1</Invoice>", "broken.xml")
    good = (UBL / "peppol-base-example.xml").read_bytes()
    with pytest.raises(InvoiceError, match=r"/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount: missing"):
        parse_ubl(good.replace(b"PayableAmount", b"Payable"), "no-total.xml")
    with pytest.raises(InvoiceError, match="not a UBL Invoice or CreditNote"):
        parse_ubl(b"<Order/>", "order.xml")


CSV = """number;customer;customer_iban;amount;currency;issue_date;due_date;payment_reference;kind
INV-2026-013;Acme NV;BE71 0961 2345 6769;1.234,50;EUR;2026-10-01;31/10/2026;+++010/8068/17183+++;sales
CN-2026-001;Acme NV;;100,00;eur;2026-10-05;;;sales_credit_note
SUP-77;Proximus SA;;815.31;EUR;2026-10-07;2026-11-07;+++730/1150/40982+++;purchase
"""


def test_csv_with_semicolons_and_decimal_commas() -> None:
    first, note, bill = parse_csv(CSV, "book.csv")
    assert (first.amount, first.due_date, first.counterparty_iban) == (
        123450,
        date(2026, 10, 31),
        "BE71 0961 2345 6769",
    )
    assert note.kind == "sales_credit_note" and note.currency == "EUR" and note.expected_movement == -10000
    assert bill.expected_movement == -81531


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (("1.234,50", "12,3,4"), "line 2, column amount"),
        (("2026-10-01", "yesterday"), "line 2, column issue_date"),
        ((";sales\n", ";gift\n"), "line 2, column kind"),
        (("1.234,50", "1.234,505"), "line 2, column amount"),
        (("number;", "numero;"), "line 1 (header)"),
        ((";eur;", ";euro;"), "line 3, column currency"),
    ],
)
def test_a_bad_csv_row_is_refused_with_its_line_and_column(change: tuple[str, str], where: str) -> None:
    with pytest.raises(InvoiceError) as caught:
        parse_csv(CSV.replace(*change, 1), "book.csv")
    assert caught.value.location == where and caught.value.source == "book.csv"


def test_json_invoices_and_their_errors() -> None:
    (invoice,) = parse_json(
        b'{"invoices": [{"number": "A1", "customer": "Acme", "amount": 12.5, "currency": "EUR",'
        b' "issue_date": "2026-10-01"}]}',
        "api",
    )
    assert invoice.amount == 1250 and invoice.kind == "sales"
    with pytest.raises(InvoiceError, match=r"invoices\[0\].amount"):
        parse_json(
            b'[{"number": "A1", "customer": "Acme", "amount": "x", "currency": "EUR", "issue_date": "2026-10-01"}]',
            "api",
        )
    with pytest.raises(InvoiceError, match="unknown field"):
        parse_json(b'[{"number": "A1", "colour": "red"}]', "api")
