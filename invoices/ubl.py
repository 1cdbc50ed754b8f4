"""Peppol BIS Billing 3.0 (UBL 2.1) Invoice and CreditNote, parsed with defusedxml.

DTDs, entity declarations and external references are refused: an invoice never needs them, and they
are how XML bombs and file-reading attacks get in.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from money import is_currency, to_minor_units

from .errors import InvoiceError
from .model import Invoice, parse_amount, parse_day

NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
MAX_BYTES = 20 * 1024 * 1024


def _text(root: Element, path: str) -> str | None:
    found = root.find(path, NS)
    if found is None or found.text is None or not found.text.strip():
        return None
    return found.text.strip()


def _required(root: Element, path: str, source: str, name: str) -> str:
    value = _text(root, path)
    if value is None:
        raise InvoiceError(source, f"/{name}/{path}", "missing; a Peppol BIS 3.0 document must have it")
    return value


def parse_ubl(data: bytes, source: str, *, side: str = "sales") -> Invoice:
    """One UBL document. `side` says whether we issued it (sales) or received it (purchase)."""
    if len(data) > MAX_BYTES:
        raise InvoiceError(source, "", f"larger than {MAX_BYTES // 1024 // 1024} MiB; not an invoice")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InvoiceError(source, "", f"refused: {type(exc).__name__} (DTDs and entities are not allowed)") from exc
    except ParseError as exc:
        raise InvoiceError(
            source, f"line {exc.position[0]}, column {exc.position[1]}", f"not well-formed XML: {exc}"
        ) from exc
    if root.tag == f"{{{NS['inv']}}}Invoice":
        name, credit = "Invoice", False
        due = _text(root, "cbc:DueDate")
        type_path = "cbc:InvoiceTypeCode"
    elif root.tag == f"{{{NS['cn']}}}CreditNote":
        name, credit = "CreditNote", True
        due = _text(root, "cac:PaymentMeans/cbc:PaymentDueDate")
        type_path = "cbc:CreditNoteTypeCode"
    else:
        raise InvoiceError(source, "root element", f"{root.tag} is not a UBL Invoice or CreditNote")
    if _text(root, type_path) == "381":
        credit = True
    number = _required(root, "cbc:ID", source, name)
    currency = _required(root, "cbc:DocumentCurrencyCode", source, name)
    payable_path = "cac:LegalMonetaryTotal/cbc:PayableAmount"
    raw_amount = _required(root, payable_path, source, name)
    try:
        issued = parse_day(_required(root, "cbc:IssueDate", source, name))
        due_date = parse_day(due) if due else None
        amount = to_minor_units(parse_amount(raw_amount), currency)
    except ValueError as exc:
        raise InvoiceError(source, f"/{name}", str(exc)) from exc
    if amount < 0:  # a correction sent as an Invoice with a negative PayableAmount is a credit note
        credit, amount = not credit, -amount
    if amount == 0:
        raise InvoiceError(source, f"/{name}/{payable_path}", "is zero: nothing is due, so there is nothing to match")
    if not is_currency(currency):
        raise InvoiceError(source, f"/{name}/cbc:DocumentCurrencyCode", f"{currency[:20]!r} is not an ISO 4217 code")
    party = "cac:AccountingCustomerParty/cac:Party" if side == "sales" else "cac:AccountingSupplierParty/cac:Party"
    counterparty = root.find(party, NS)
    name_of = None
    if counterparty is not None:
        name_of = _text(counterparty, "cac:PartyLegalEntity/cbc:RegistrationName") or _text(
            counterparty, "cac:PartyName/cbc:Name"
        )
    kind = f"{side}_credit_note" if credit else side
    return Invoice(
        number=number,
        kind=kind,
        issue_date=issued,
        due_date=due_date,
        currency=currency,
        amount=amount,
        payment_reference=_text(root, "cac:PaymentMeans/cbc:PaymentID"),
        counterparty_name=name_of,
        counterparty_vat=_text(counterparty, "cac:PartyTaxScheme/cbc:CompanyID") if counterparty is not None else None,
        counterparty_endpoint=_text(counterparty, "cbc:EndpointID") if counterparty is not None else None,
        payee_iban=_text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID"),
        counterparty_iban=(
            _text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") if side == "purchase" else None
        ),
        counterparty_bic=(
            _text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID")
            if side == "purchase"
            else None
        ),
    )
