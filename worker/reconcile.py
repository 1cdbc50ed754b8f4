"""From invoices and Ponto transactions to matcher inputs, and the dry run behind `ponto-slack reconcile`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from invoices import Invoice, InvoiceError, parse_csv, parse_json, parse_ubl
from matching import Decision, match
from ponto.models import Transaction

from .mappers import bank_line, open_item

INVOICE_SUFFIXES = (".xml", ".csv", ".json")


def transactions_from_json(data: bytes | str, source: str) -> list[Transaction]:
    """A Ponto JSON:API body (`{"data": [...]}`) or a JSON list of objects with Ponto's attribute names."""
    try:
        body = json.loads(data, parse_float=Decimal)
    except ValueError as exc:
        raise InvoiceError(source, "", f"not JSON: {exc}") from exc
    items = body.get("data") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise InvoiceError(source, "", 'expected a Ponto body {"data": [...]} or a list of transactions')
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or "id" not in item:
            raise InvoiceError(source, f"[{index}]", "a transaction needs an id")
        obj = item if "attributes" in item else {"id": item["id"], "type": "transaction", "attributes": item}
        try:
            out.append(Transaction.from_jsonapi(obj))
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise InvoiceError(source, f"[{index}] ({item['id']})", str(exc)) from exc
    return out


def invoice_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in INVOICE_SUFFIXES))
        else:
            files.append(path)
    return files


def read_invoice_file(path: Path, *, side: str = "sales") -> list[Invoice]:
    """One file, whole or not at all; raises InvoiceError naming the line or element."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvoiceError(source, "", f"cannot be read: {exc.strerror}") from exc
    suffix = path.suffix.lower()
    if suffix == ".xml":
        return [parse_ubl(data, source, side=side)]
    if suffix == ".csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvoiceError(source, "", "is not UTF-8 text; save the CSV as UTF-8") from exc
        return parse_csv(text, source)
    if suffix == ".json":
        return parse_json(data, source)
    raise InvoiceError(source, "", "unknown file type; use .xml (Peppol UBL), .csv or .json")


def reconcile(
    invoices: Sequence[Invoice], transactions: Sequence[Transaction], links: Mapping[str, str] | None = None
) -> list[Decision]:
    """Every transaction against every open invoice; a dry run, nothing is stored."""
    return match([bank_line(tx) for tx in transactions], [open_item(i) for i in invoices], links)
