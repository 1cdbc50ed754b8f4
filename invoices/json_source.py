"""JSON invoices: a list of objects (or {"invoices": [...]}) with the CSV's field names."""

from __future__ import annotations

import json
from typing import Any

from .csv_source import OPTIONAL, REQUIRED, _row
from .errors import InvoiceError
from .model import Invoice


def parse_json(data: bytes | str, source: str) -> list[Invoice]:
    try:
        body = json.loads(data, parse_float=str, parse_int=str)
    except ValueError as exc:
        raise InvoiceError(source, "", f"not JSON: {exc}") from exc
    items = body.get("invoices") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise InvoiceError(source, "", 'expected a list of invoices or {"invoices": [...]}')
    return [parse_object(item, source, f"invoices[{index}]") for index, item in enumerate(items)]


def parse_object(item: Any, source: str, where: str) -> Invoice:
    if not isinstance(item, dict):
        raise InvoiceError(source, where, "is not an object")
    unknown = [k for k in item if k not in REQUIRED + OPTIONAL]
    if unknown:
        raise InvoiceError(source, where, f"unknown field(s) {', '.join(unknown)}")
    row = {k: "" if v is None else str(v) for k, v in item.items()}
    try:
        return _row(row, source, 0)
    except InvoiceError as exc:
        (location, message), *also = [(f"{where}.{at.split('column ')[-1]}", text) for at, text in exc.problems]
        raise InvoiceError(source, location, message, also=also) from exc
