"""The Ponto Connect resource API of the stand-in: accounts, transactions, syncs (payments: ponto_payments)."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .html import mount_url
from .jsonapi import error_response, json_response, page_of
from .ponto_data import account_resource, iso, transaction_resource
from .ponto_state import BankLine, PontoSandbox, Sync


def _sandbox(request: Request) -> PontoSandbox:
    return request.app.state.sandbox


def api_base(request: Request) -> str:
    return mount_url(request)


def authorized(request: Request) -> Response | None:
    """401 without a valid token; with one, the request acts for the token's organization only."""
    grant = _sandbox(request).grant_for(request.headers.get("authorization", ""))
    if grant is None:
        return error_response(401, "invalidAccessToken", "Your access token is invalid.")
    request.state.organization_id = grant.organization_id
    return None


def shared_account(request: Request, account_id: str) -> Any:
    """The account, if the organization of the request's token shares it (after `_authorized`)."""
    return _sandbox(request).account(account_id, request.state.organization_id)


def _limit(request: Request) -> int | Response:
    raw = request.query_params.get("page[limit]", request.query_params.get("limit", "10"))
    limit = int(raw) if raw.isdigit() else 0
    if not 1 <= limit <= 100:
        return error_response(
            400, "invalidParameter", "page[limit] must be between 1 and 100.", parameter="page[limit]"
        )
    return limit


def _paged(request: Request, items: list[Any], url: str, **how: Any) -> Response:
    limit = _limit(request)
    if isinstance(limit, Response):
        return limit
    after = request.query_params.get("page[after]", request.query_params.get("after"))
    before = request.query_params.get("page[before]", request.query_params.get("before"))
    return json_response(page_of(items, url=url, limit=limit, after=after, before=before, **how))


def not_found(resource: str) -> Response:
    return error_response(404, "resourceNotFound", "The requested resource was not found.", resource=resource)


def refused_for_account(request: Request) -> Response | None:
    """401 without a valid token, 404 for an account the organization does not share, else None."""
    if denied := authorized(request):
        return denied
    if shared_account(request, request.path_params["account_id"]) is None:
        return not_found("account")
    return None


async def list_accounts(request: Request) -> Response:
    if denied := authorized(request):
        return denied
    base = api_base(request)
    organization = _sandbox(request).organizations[request.state.organization_id]
    items = [account_resource(a, base) for a in organization.accounts]
    return _paged(request, items, f"{base}/accounts")


async def get_account(request: Request) -> Response:
    if denied := authorized(request):
        return denied
    account = shared_account(request, request.path_params["account_id"])
    if account is None:
        return not_found("account")
    return json_response({"data": account_resource(account, api_base(request))})


def _lines(request: Request, lines: list[BankLine], url: str, *, pending: bool) -> Response:
    """A page of bank lines; only the page's lines are rendered."""
    kind = "pendingTransaction" if pending else "transaction"
    base = api_base(request)

    def render(line: BankLine) -> dict[str, Any]:
        return transaction_resource(kind, line.id, line.account_id, line.attributes, base)

    return _paged(request, lines, url, key=lambda line: line.id, render=render)


async def list_transactions(request: Request) -> Response:
    if refused := refused_for_account(request):
        return refused
    account_id = request.path_params["account_id"]
    pending = request.url.path.endswith("pending-transactions")
    segment = "pending-transactions" if pending else "transactions"
    url = f"{api_base(request)}/accounts/{account_id}/{segment}"
    return _lines(request, _sandbox(request).listed(account_id, pending=pending), url, pending=pending)


async def get_transaction(request: Request) -> Response:
    if denied := authorized(request):
        return denied
    line = _sandbox(request).line(request.path_params["transaction_id"])
    theirs = line is not None and shared_account(request, line.account_id) is not None
    if line is None or not theirs or line.account_id != request.path_params["account_id"]:
        return not_found("transaction")
    kind = "pendingTransaction" if line.pending else "transaction"
    return json_response(
        {"data": transaction_resource(kind, line.id, line.account_id, line.attributes, api_base(request))}
    )


def _sync_resource(sync: Sync, sandbox: PontoSandbox, base: str) -> dict[str, Any]:
    status = sync.status(sandbox.now())
    resource: dict[str, Any] = {
        "type": "synchronization",
        "id": sync.id,
        "attributes": {
            "resourceType": "account",
            "resourceId": sync.account_id,
            "subtype": sync.subtype,
            "status": status,
            "errors": sync.errors if status == "error" else [],
            "customerOnline": False,
            "createdAt": iso(sync.created_at),
            "updatedAt": iso(sandbox.now()),
        },
        "links": {"self": f"{base}/synchronizations/{sync.id}"},
    }
    if status in ("success", "error"):
        resource["relationships"] = {
            "updatedTransactions": {
                "links": {
                    "related": f"{base}/synchronizations/{sync.id}/updated-transactions",
                    "meta": {"type": "transaction"},
                }
            },
            "updatedPendingTransactions": {
                "links": {
                    "related": f"{base}/synchronizations/{sync.id}/updated-pending-transactions",
                    "meta": {"type": "pendingTransaction"},
                }
            },
        }
    return resource


async def create_synchronization(request: Request) -> Response:
    if denied := authorized(request):
        return denied
    sandbox = _sandbox(request)
    try:
        attributes = (await request.json())["data"]["attributes"]
    except (ValueError, KeyError, TypeError):
        return error_response(400, "invalidRequest", "The body must be a JSON:API synchronization.")
    problems = []
    if attributes.get("resourceType") != "account":
        problems.append(("resourceType", "must be 'account'"))
    if attributes.get("subtype") not in ("accountDetails", "accountTransactions", "accountTransactionsWithUnsettled"):
        problems.append(("subtype", "is not a known synchronization subtype"))
    if not _is_ip(attributes.get("customerIpAddress")):
        problems.append(("customerIpAddress", "is required and must be an IP address"))
    if shared_account(request, str(attributes.get("resourceId"))) is None:
        problems.append(("resourceId", "is not an account of this integration"))
    if problems:
        name, detail = problems[0]
        return error_response(400, "invalidAttribute", f"{name} {detail}.", attribute=name)
    sandbox.customer_ips.append(str(attributes["customerIpAddress"]))
    sync = sandbox.create_sync(str(attributes["resourceId"]), str(attributes["subtype"]))
    return json_response({"data": _sync_resource(sync, sandbox, api_base(request))}, status_code=201)


def _is_ip(value: object) -> bool:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return bool(value)


def _synchronization(request: Request) -> Response | Sync:
    """The synchronization the path names, or the 401/404 to answer instead."""
    if denied := authorized(request):
        return denied
    sync = _sandbox(request).syncs.get(request.path_params["sync_id"])
    if sync is None or shared_account(request, sync.account_id) is None:
        return not_found("synchronization")
    return sync


async def get_synchronization(request: Request) -> Response:
    sync = _synchronization(request)
    if isinstance(sync, Response):
        return sync
    return json_response({"data": _sync_resource(sync, _sandbox(request), api_base(request))})


async def updated_transactions(request: Request) -> Response:
    sync = _synchronization(request)
    if isinstance(sync, Response):
        return sync
    sandbox = _sandbox(request)
    pending = request.url.path.endswith("updated-pending-transactions")
    ids = sync.updated_pending if pending else sync.updated
    if sync.status(sandbox.now()) not in ("success", "error"):
        ids = []
    lines = [line for line in (sandbox.line(i) for i in reversed(ids)) if line is not None]
    segment = "updated-pending-transactions" if pending else "updated-transactions"
    return _lines(request, lines, f"{api_base(request)}/synchronizations/{sync.id}/{segment}", pending=pending)


async def create_reauthorization(request: Request) -> Response:
    if refused := refused_for_account(request):
        return refused
    sandbox = _sandbox(request)
    account_id = request.path_params["account_id"]
    try:
        redirect_uri = (await request.json())["data"]["attributes"]["redirectUri"]
    except (ValueError, KeyError, TypeError):
        return error_response(400, "invalidAttribute", "redirectUri is required.", attribute="redirectUri")
    request_id = str(uuid.uuid4())
    sandbox.reauthorizations[request_id] = {"account_id": account_id, "redirect_uri": redirect_uri}
    link = f"{mount_url(request).removesuffix('/api')}/reauthorize/{request_id}"
    body = {
        "data": {
            "type": "reauthorizationRequest",
            "id": request_id,
            "attributes": {"sandbox": True},
            "links": {"redirect": link},
        }
    }
    return json_response(body, status_code=201)


async def webhook_keys(request: Request) -> Response:
    return json_response(_sandbox(request).webhooks.jwks())
