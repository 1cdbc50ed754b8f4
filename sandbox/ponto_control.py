"""The stand-in's control API (add transactions, inject faults, expire tokens) and the fault injector."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import ponto_payments
from .jsonapi import error_response
from .ponto_state import Fault, PontoSandbox, SyncFailure


class Faults:
    """ASGI middleware in front of the API: delays, error statuses and truncated bodies on demand."""

    def __init__(self, app: ASGIApp, sandbox: PontoSandbox) -> None:
        self.app = app
        self.sandbox = sandbox
        self.random = random.Random(7)

    def _pick(self, method: str, path: str) -> Fault | None:
        """The first counted fault that applies; else one of the rate faults, drawn once for all of them."""
        matching = [f for f in self.sandbox.faults if f.matches(method, path)]
        counted = next((f for f in matching if f.rate is None), None)
        if counted is not None:
            counted.count -= 1
            return counted
        draw = self.random.random()
        for fault in matching:
            draw -= fault.rate or 0.0
            if draw < 0:
                return fault
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        correlation = headers.get(b"x-correlation-id")
        self.sandbox.record_call(headers.get(b"authorization", b"").decode(), correlation and correlation.decode())
        fault = self._pick(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.status is not None:
            response = error_response(fault.status, "injectedFault", f"Injected fault {fault.status}.")
            if fault.retry_after is not None:
                response.headers["Retry-After"] = str(int(fault.retry_after))
            await response(scope, receive, send)
            return
        if fault.truncate:
            await self.app(scope, receive, _truncating(send))
            return
        await self.app(scope, receive, send)


def _truncating(send: Send) -> Send:
    """Cut the body in half (with a matching Content-Length), as a connection cut short would."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = b"".join(chunks)
        body = body[: len(body) // 2]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return wrapped


def _sandbox(request: Request) -> PontoSandbox:
    return request.app.state.sandbox


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def add_transactions(request: Request) -> Response:
    """{"account_id"?, "transactions": [attributes...]} or {"count": N, "seed": S}; "webhook": false to hold."""
    sandbox = _sandbox(request)
    body = await _json(request)
    account_id = body.get("account_id") or sandbox.organization.accounts[0].id
    if sandbox.account(account_id) is None:
        return JSONResponse({"error": f"unknown account {account_id}"}, status_code=404)
    given = body.get("transactions") or []
    count = int(body.get("count") or 0)
    if not given and count <= 0:
        return JSONResponse({"error": "give transactions or a positive count"}, status_code=400)
    added = sandbox.add_transactions(account_id, given=given, count=count, seed=int(body.get("seed") or 0))
    if body.get("webhook", True):
        sandbox.background_sync(account_id)
    return JSONResponse({"account_id": account_id, "ids": [line.id for line in added]}, status_code=201)


async def clear_transactions(request: Request) -> Response:
    """The bank forgets every booked line: a test that wants no seeded history starts from an empty bank."""
    cleared = _sandbox(request).clear_transactions()
    return JSONResponse({"cleared": cleared})


async def update_transaction(request: Request) -> Response:
    """{"id": transaction id, "attributes": {...}}: the bank changes a line; a webhook says so."""
    sandbox = _sandbox(request)
    body = await _json(request)
    line = sandbox.update_transaction(str(body.get("id")), dict(body.get("attributes") or {}))
    if line is None:
        return JSONResponse({"error": "unknown transaction"}, status_code=404)
    if body.get("webhook", True):
        sandbox.background_sync(line.account_id, "pontoConnect.account.transactionsUpdated")
    return JSONResponse({"id": line.id, "attributes": {k: str(v) for k, v in line.attributes.items()}})


async def synchronization_failures(request: Request) -> Response:
    """{"account_id", "errors"?: [{"code", "detail"}], "count"?: N, "now"?: true}: the bank fails that account's
    synchronizations (Ponto's error items; default authorizationInvalid); DELETE: the bank works again."""
    sandbox = _sandbox(request)
    if request.method == "DELETE":
        sandbox.sync_failures.clear()
        return JSONResponse({"failing": 0})
    body = await _json(request)
    account_id = str(body.get("account_id") or "")
    if sandbox.account(account_id) is None:
        return JSONResponse({"error": f"unknown account {account_id}"}, status_code=404)
    errors = body.get("errors") or [
        {
            "code": "authorizationInvalid",
            "detail": "The authorization is invalid, you should ask the customer to reauthorize the account",
            "meta": {},
        }
    ]
    count = body.get("count")
    sandbox.sync_failures[account_id] = SyncFailure(list(errors), None if count is None else int(count))
    if body.get("now"):
        sandbox.background_sync(account_id)  # Ponto's own synchronization fails, and it says so by webhook
    return JSONResponse({"failing": sorted(sandbox.sync_failures)}, status_code=201)


async def synchronizations(request: Request) -> Response:
    """{"account_id", "events": ["pontoConnect.account.detailsUpdated", ...]}: Ponto's own synchronizations
    of one account, their webhooks sent in this order (a burst the app must take in any order)."""
    sandbox = _sandbox(request)
    body = await _json(request)
    account_id = str(body.get("account_id") or "")
    if sandbox.account(account_id) is None:
        return JSONResponse({"error": f"unknown account {account_id}"}, status_code=404)
    for event in body.get("events") or []:
        sandbox.background_sync(account_id, str(event))
    return JSONResponse({"account_id": account_id}, status_code=201)


async def set_faults(request: Request) -> Response:
    """{"path": regex, "status"?, "count"?, "delay"?, "truncate"?, "retry_after"?, "method"?, "rate"?}: with a
    rate (0.05: one call in twenty), the fault stays until DELETE; several rate faults add up."""
    body = await _json(request)
    if not body.get("path"):
        return JSONResponse({"error": "path (a regular expression) is required"}, status_code=400)
    known = {"path", "status", "count", "delay", "truncate", "retry_after", "method", "rate"}
    if "rate" in body and not 0 < float(body["rate"]) <= 1:
        return JSONResponse({"error": "rate is the share of matching calls to fail, in (0, 1]"}, status_code=400)
    _sandbox(request).faults.append(Fault(**{k: v for k, v in body.items() if k in known}))
    return JSONResponse({"faults": len(_sandbox(request).faults)}, status_code=201)


async def clear_faults(request: Request) -> Response:
    _sandbox(request).faults.clear()
    return JSONResponse({"faults": 0})


async def tokens(request: Request) -> Response:
    """{"expire_access_tokens": true}, {"revoke_refresh_tokens": true}, {"access_token_ttl": seconds}."""
    sandbox = _sandbox(request)
    body = await _json(request)
    if "access_token_ttl" in body:
        sandbox.access_token_ttl = int(body["access_token_ttl"])
    if body.get("expire_access_tokens"):
        sandbox.expire_access_tokens()
    if body.get("revoke_refresh_tokens"):
        sandbox.revoked.extend(sandbox.refresh_tokens)
        sandbox.refresh_tokens.clear()
    return JSONResponse({"access_token_ttl": sandbox.access_token_ttl})


async def webhooks(request: Request) -> Response:
    """{"enabled": bool, "url"?: str}; GET lists the deliveries."""
    sender = _sandbox(request).webhooks
    if request.method == "POST":
        body = await _json(request)
        sender.url = body.get("url", sender.url)
        sender.enabled = bool(body.get("enabled", sender.enabled)) and sender.url is not None
    return JSONResponse({"enabled": sender.enabled, "url": sender.url, "deliveries": sender.deliveries})


async def accounts(request: Request) -> Response:
    """{"account_id", "authorization_expires_in_days"?: n, "shared"?: bool}: the bank side changes."""
    sandbox = _sandbox(request)
    body = await _json(request)
    account = sandbox.account(str(body.get("account_id")))
    if account is None:
        account = next((a for a in sandbox.hidden if a.id == body.get("account_id")), None)
    if account is None:
        return JSONResponse({"error": "unknown account"}, status_code=404)
    if "authorization_expires_in_days" in body:
        account.authorization_expires_at = sandbox.now().replace(microsecond=0) + timedelta(
            days=float(body["authorization_expires_in_days"])
        )
    if "shared" in body:
        sandbox.share(account, bool(body["shared"]))
    return JSONResponse({"account_id": account.id, "expires": account.authorization_expires_at.isoformat()})


async def organizations(request: Request) -> Response:
    """{"count": N}: N more organizations (one EUR account each) that a consent can pick."""
    count = int((await _json(request)).get("count") or 0)
    if not 1 <= count <= 1000:
        return JSONResponse({"error": "count must be between 1 and 1000"}, status_code=400)
    added = _sandbox(request).add_organizations(count)
    body = [{"id": o.id, "name": o.name, "accounts": [a.id for a in o.accounts]} for o in added]
    return JSONResponse({"organizations": body}, status_code=201)


async def state(request: Request) -> Response:
    """What happened, for tests to check: accounts, syncs, payments, and any misuse of tokens."""
    sandbox = _sandbox(request)
    return JSONResponse(
        {
            "organization": sandbox.organization.id,
            "organizations": len(sandbox.organizations),
            "accounts": {
                a.id: {
                    "iban": a.reference,
                    "currency": a.currency,
                    "transactions": len(sandbox.lines[a.id]),
                    "current_balance": str(a.current_balance),
                }
                for a in sandbox.organization.accounts
            },
            "synchronizations": len(sandbox.syncs),
            "customer_ips": sorted(set(sandbox.customer_ips)),
            "payments": len(sandbox.payments),
            "faults": len(sandbox.faults),
            "revoked_tokens": len(sandbox.revoked),
            "refresh_token_reuses": sandbox.refresh_reuses,
            "runs": len(sandbox.runs),
            "overlapping_runs": [list(overlap) for overlap in sandbox.overlapping_runs()],
            "run_windows": {f"{o}/{r}": [w[0].isoformat(), w[1].isoformat()] for (o, r), w in sandbox.runs.items()},
        }
    )


ROUTES = [
    Route("/transactions", add_transactions, methods=["POST"]),
    Route("/transactions", clear_transactions, methods=["DELETE"]),
    Route("/transactions/update", update_transaction, methods=["POST"]),
    Route("/faults", set_faults, methods=["POST"]),
    Route("/synchronization-failures", synchronization_failures, methods=["POST", "DELETE"]),
    Route("/synchronizations", synchronizations, methods=["POST"]),
    Route("/faults", clear_faults, methods=["DELETE"]),
    Route("/tokens", tokens, methods=["POST"]),
    Route("/webhooks", webhooks, methods=["GET", "POST"]),
    Route("/accounts", accounts, methods=["POST"]),
    Route("/organizations", organizations, methods=["POST"]),
    Route("/state", state, methods=["GET"]),
    Route("/payments", ponto_payments.control_payments, methods=["GET", "POST"]),
    Route("/payments/{payment_id}", ponto_payments.control_payment, methods=["POST"]),
]
