"""/api/invoices: invoices in and out as JSON, behind a bearer token (API_TOKEN)."""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from invoices import InvoiceError
from invoices.json_source import parse_object
from money import from_minor_units
from storage import invoices as invoice_store
from worker.matching_input import import_and_match, workspace_for_import

from ..state import app_state

MAX_DEPTH = 8
TOO_DEEP = object()  # json.loads gave up on the nesting itself


def _depth(value: Any) -> int:
    """How deeply lists and objects nest (iteratively: no recursion for an attacker to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def _refused(request: Request) -> JSONResponse | None:
    token = app_state(request).api_token
    if not token:
        return JSONResponse({"error": "the invoice API is off: set API_TOKEN to turn it on"}, status_code=503)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        return JSONResponse(
            {"error": "missing or wrong bearer token"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    return None


async def post_invoices(request: Request) -> JSONResponse:
    if refused := _refused(request):
        return refused
    body = await request.body()  # its size is bounded by web.limits before this runs
    try:
        data = json.loads(body, parse_float=str, parse_int=str)
    except ValueError as exc:
        return JSONResponse({"errors": [{"location": "body", "message": f"not JSON: {exc}"}]}, status_code=422)
    except RecursionError:
        data = TOO_DEEP
    if data is TOO_DEEP or _depth(data) > MAX_DEPTH:
        message = f"nested deeper than {MAX_DEPTH} levels: an invoice list is two or three deep"
        return JSONResponse({"errors": [{"location": "body", "message": message}]}, status_code=422)
    items = data.get("invoices") if isinstance(data, dict) and "invoices" in data else data
    items = items if isinstance(items, list) else [items]
    parsed, errors = [], []
    for index, item in enumerate(items):
        try:
            parsed.append(parse_object(item, "api", f"invoices[{index}]"))
        except InvoiceError as exc:
            errors.append({"location": exc.location, "message": exc.message})
    if errors:
        return JSONResponse({"errors": errors, "stored": 0}, status_code=422)
    state = app_state(request)
    async with state.sessions.begin() as session:
        try:
            workspace = await workspace_for_import(session, request.query_params.get("team"))
        except LookupError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        result, queued = await import_and_match(session, workspace, parsed, source="api", now=state.clock())
    if queued:
        state.notifier.wake()
    status = 201 if result.created else 200
    return JSONResponse(result.__dict__, status_code=status)


def _invoice_json(row: Any) -> dict[str, Any]:
    return {
        "number": row.number,
        "kind": row.kind,
        "customer": row.counterparty_name,
        "customer_iban": row.counterparty_iban,
        "amount": str(from_minor_units(row.amount, row.currency)),
        "paid": str(from_minor_units(row.settled, row.currency)),
        "currency": row.currency,
        "issue_date": row.issue_date.isoformat(),
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "payment_reference": row.payment_reference,
        "status": row.status,
    }


async def get_invoices(request: Request) -> JSONResponse:
    if refused := _refused(request):
        return refused
    status = request.query_params.get("status")
    if status not in (None, "open", "paid"):
        return JSONResponse({"errors": [{"location": "status", "message": "use open or paid"}]}, status_code=422)
    async with app_state(request).sessions() as session:
        try:
            workspace = await workspace_for_import(session, request.query_params.get("team"))
        except LookupError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        rows = await invoice_store.listing(session, workspace.id, status=status)
    return JSONResponse({"invoices": [_invoice_json(r) for r in rows]})
