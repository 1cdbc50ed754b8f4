"""/api/invoices: invoices in and out as JSON, behind a bearer token (API_TOKEN)."""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse

from invoices import Invoice, InvoiceError
from invoices.json_source import parse_object
from money import from_minor_units
from storage import api_tokens, invoices as invoice_store, workspaces
from storage.models import Workspace
from storage.wakeups import DELIVER
from worker.import_report import result_json
from worker.matching_input import import_and_match

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


PAGE = 100
MAX_PAGE = 500


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


async def _caller_workspace(request: Request, session: AsyncSession) -> Workspace | JSONResponse:
    """The workspace the bearer token reaches: its own (a per-workspace token), or the only one (API_TOKEN).

    No answer names another workspace, and `?team=` cannot reach one the token does not belong to.
    """
    state = app_state(request)
    if not state.api_token and not await api_tokens.any_exist(session):
        return _error(503, "the invoice API is off: set API_TOKEN, or run ponto-slack tokens create --team T…")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given:
        return _error(401, "missing bearer token", **{"WWW-Authenticate": "Bearer"})
    team = request.query_params.get("team")
    owned = await api_tokens.workspace_of(session, given, now=state.clock())
    if owned is not None:
        if team and team != owned.team_id:
            return _error(403, "this token belongs to another workspace than ?team= names")
        return owned
    if not state.api_token or not hmac.compare_digest(given.encode(), state.api_token.encode()):
        return _error(401, "wrong bearer token", **{"WWW-Authenticate": "Bearer"})
    everyone = await workspaces.all_workspaces(session)
    if len(everyone) > 1:
        return _error(
            403,
            "API_TOKEN serves a single workspace and this server has several: use a token made for yours "
            "(ponto-slack tokens create --team T…)",
        )
    if not everyone or (team and team != everyone[0].team_id):
        return _error(409, "no workspace yet: run /ponto activate in Slack first")
    return everyone[0]


async def post_invoices(request: Request) -> JSONResponse:
    state = app_state(request)
    async with state.sessions.begin() as session:
        caller = await _caller_workspace(request, session)
    if isinstance(caller, JSONResponse):
        return caller
    body = await request.body()  # its size is bounded by web.limits before this runs
    # Parsing a batch of a thousand invoices is CPU: a worker thread, so Slack's acks are not kept waiting.
    parsed, errors = await asyncio.to_thread(_parse_invoices, body)
    if errors:
        return JSONResponse({"errors": errors, "stored": 0}, status_code=422)
    async with state.sessions.begin() as session:
        workspace = await session.get(Workspace, caller.id)
        assert workspace is not None
        result, queued = await import_and_match(session, workspace, parsed, source="api", now=state.clock())
    if queued:
        await state.wake(DELIVER)
    status = 201 if result.created else 200
    return JSONResponse(result_json(result), status_code=status)


def _parse_invoices(body: bytes) -> tuple[list[Invoice], list[dict[str, str]]]:
    """The invoices of a request body, or every error of it (each with where it is)."""
    try:
        data = json.loads(body, parse_float=str, parse_int=str)
    except ValueError as exc:
        return [], [{"location": "body", "message": f"not JSON: {exc}"}]
    except RecursionError:
        data = TOO_DEEP
    if data is TOO_DEEP or _depth(data) > MAX_DEPTH:
        return [], [
            {
                "location": "body",
                "message": f"nested deeper than {MAX_DEPTH} levels: an invoice list is two or three deep",
            }
        ]
    items = data.get("invoices") if isinstance(data, dict) and "invoices" in data else data
    items = items if isinstance(items, list) else [items]
    parsed: list[Invoice] = []
    errors: list[dict[str, str]] = []
    for index, item in enumerate(items):
        try:
            parsed.append(parse_object(item, "api", f"invoices[{index}]"))
        except InvoiceError as exc:
            errors.extend({"location": location, "message": message} for location, message in exc.problems)
    return parsed, errors


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
    """A page of invoices, oldest first; `next_cursor` (pass as `?cursor=`) says there is more."""
    params = request.query_params
    status = params.get("status")
    problems = []
    if status not in (None, "open", "paid"):
        problems.append({"location": "status", "message": "use open or paid"})
    limit_text, cursor_text = params.get("limit", str(PAGE)), params.get("cursor", "0")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_PAGE:
        problems.append({"location": "limit", "message": f"a whole number from 1 to {MAX_PAGE}"})
    if not cursor_text.isdigit() or len(cursor_text) > 18:
        problems.append({"location": "cursor", "message": "pass back the next_cursor of the previous page"})
    async with app_state(request).sessions.begin() as session:
        caller = await _caller_workspace(request, session)
        if isinstance(caller, JSONResponse):
            return caller
        if problems:
            return JSONResponse({"errors": problems}, status_code=422)
        limit = int(limit_text)
        rows = await invoice_store.listing(session, caller.id, status=status, limit=limit + 1, after=int(cursor_text))
    page, more = rows[:limit], len(rows) > limit
    return JSONResponse(
        {"invoices": [_invoice_json(r) for r in page], "next_cursor": str(page[-1].id) if more else None}
    )
