"""Payments and bulk payments of the Ponto stand-in: created through the API, signed or rejected on
their page, expired when left unsigned, each change told by webhook.

It refuses what Ponto would (as far as the research knows, and stricter where it does not): a token
without the `pi` scope, an organization whose payments are not activated, an account whose bank does
not initiate payments, a currency the account does not hold, an invalid or blocked IBAN, names and
communications over 60/140 characters. Bodies keep the official fixtures' attribute names.
The webhook names `pontoConnect.payment.statusUpdated` and `pontoConnect.bulkPayment.statusUpdated`
are this stand-in's: which ones Ponto sends is UNCONFIRMED.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from html import escape
from typing import Any

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .html import decision_buttons, mount_url, page, redirect_to
from .jsonapi import error_response, json_response
from .ponto_api import authorized, not_found, refused_for_account, shared_account
from .ponto_state import PontoSandbox

PAYMENT_FIELDS = ("amount", "currency", "creditorName", "creditorAccountReference", "creditorAccountReferenceType")
BULK_FIELDS = ("reference", "payments")


def _sandbox(request: Request) -> PontoSandbox:
    return request.app.state.sandbox


def institution_attributes(sandbox: PontoSandbox, institution_id: str) -> dict[str, Any]:
    """The sandbox bank lets everything be initiated unless a test says otherwise."""
    base = {
        "name": "Super Sandbox Bank",
        "bic": "SANDBEBB",
        "country": "BE",
        "status": "stable",
        "deprecated": False,
        "paymentsEnabled": True,
        "paymentsProductTypes": ["sepaCreditTransfer"],
        "bulkPaymentsEnabled": True,
        "bulkPaymentsProductTypes": ["sepaCreditTransfer"],
        "periodicPaymentsEnabled": False,
        "futureDatedPaymentsAllowed": True,
    }
    return base | sandbox.institutions.get(institution_id, {})


async def financial_institution(request: Request) -> Response:
    if denied := authorized(request):
        return denied
    sandbox = _sandbox(request)
    institution_id = request.path_params["institution_id"]
    known = {a.financial_institution_id for o in sandbox.organizations.values() for a in o.accounts}
    if institution_id not in known:
        return not_found("financialInstitution")
    resource = {
        "type": "financialInstitution",
        "id": institution_id,
        "attributes": institution_attributes(sandbox, institution_id),
    }
    return json_response({"data": resource})


def _refused(request: Request, *, bulk: bool) -> Response | None:
    """What Ponto refuses before reading the payment: no `pi` scope, payments not activated, a bank
    that does not initiate them."""
    if refused := refused_for_account(request):
        return refused
    sandbox = _sandbox(request)
    grant = sandbox.grant_for(request.headers.get("authorization", ""))
    if grant is None or "pi" not in grant.scope.split():
        return error_response(403, "insufficientScope", "The access token does not grant payment initiation (pi).")
    if request.state.organization_id not in sandbox.payments_activated:
        return error_response(
            403, "paymentsNotActivated", "Payments are not activated for this organization: request activation."
        )
    account = shared_account(request, request.path_params["account_id"])
    flags = institution_attributes(sandbox, account.financial_institution_id)
    if not flags["bulkPaymentsEnabled" if bulk else "paymentsEnabled"]:
        what = "bulk payments" if bulk else "payments"
        return error_response(400, "paymentNotSupported", f"The financial institution does not support {what}.")
    return None


def _payment_problem(sandbox: PontoSandbox, account: Any, attributes: dict[str, Any]) -> tuple[str, str] | None:
    """The first thing Ponto would refuse in one payment's attributes: (attribute, what is wrong)."""
    missing = [name for name in PAYMENT_FIELDS if attributes.get(name) in (None, "")]
    if missing:
        return missing[0], f"{missing[0]} is required."
    if len(str(attributes["creditorName"])) > 60 or len(str(attributes.get("remittanceInformation") or "")) > 140:
        return "creditorName", "creditorName is limited to 60 and remittanceInformation to 140 characters."
    if attributes["currency"] != account.currency:
        return "currency", f"The account holds {account.currency}, not {attributes['currency']}."
    try:
        amount = Decimal(str(attributes["amount"]))
    except ArithmeticError:
        amount = Decimal(0)
    if amount <= 0:
        return "amount", "amount must be greater than 0."
    try:
        iban = IBAN(str(attributes["creditorAccountReference"])).compact
    except SchwiftyException:
        return "creditorAccountReference", "creditorAccountReference is not a valid IBAN."
    if iban in sandbox.blocked_ibans:
        return "creditorAccountReference", "The creditor account is blocked."
    return None


async def _attributes(request: Request, kind: str) -> dict[str, Any] | Response:
    try:
        attributes = json.loads(await request.body(), parse_float=Decimal)["data"]["attributes"]
    except (ValueError, KeyError, TypeError):
        return error_response(400, "invalidRequest", f"The body must be a JSON:API {kind}.")
    if not isinstance(attributes, dict):
        return error_response(400, "invalidRequest", f"The body must be a JSON:API {kind}.")
    return attributes


async def create_payment(request: Request) -> Response:
    if refused := _refused(request, bulk=False):
        return refused
    sandbox = _sandbox(request)
    account_id = request.path_params["account_id"]
    attributes = await _attributes(request, "payment")
    if isinstance(attributes, Response):
        return attributes
    if problem := _payment_problem(sandbox, shared_account(request, account_id), attributes):
        return error_response(400, "invalidAttribute", problem[1], attribute=problem[0])
    idempotency = request.headers.get("ibanity-idempotency-key")
    for payment in sandbox.payments.values():  # a retried POST returns the first payment
        if idempotency and payment["idempotency_key"] == idempotency:
            return json_response({"data": payment["resource"]}, status_code=201)
    payment_id = str(uuid.uuid4())
    resource = {
        "type": "payment",
        "id": payment_id,
        "attributes": {**attributes, "status": "unsigned"},
        "links": {"redirect": f"{mount_url(request).removesuffix('/api')}/sign/payment/{payment_id}"},
    }
    sandbox.payments[payment_id] = {
        "account_id": account_id,
        "resource": resource,
        "idempotency_key": idempotency,
        "created_at": sandbox.now(),
    }
    return json_response({"data": resource}, status_code=201)


async def create_bulk_payment(request: Request) -> Response:
    """Several payments from one account, signed at once; each in EUR, as Ponto requires (§4.8)."""
    if refused := _refused(request, bulk=True):
        return refused
    sandbox = _sandbox(request)
    attributes = await _attributes(request, "bulk payment")
    if isinstance(attributes, Response):
        return attributes
    missing = [name for name in BULK_FIELDS if not attributes.get(name)]
    if missing or not isinstance(attributes["payments"], list):
        name = missing[0] if missing else "payments"
        return error_response(400, "invalidAttribute", f"{name} is required.", attribute=name)
    account = shared_account(request, request.path_params["account_id"])
    for payment in attributes["payments"]:
        problem = None if isinstance(payment, dict) else ("payments", "payments are objects.")
        if problem is None and payment.get("currency") != "EUR":
            problem = ("currency", "currency currently must be EUR in a bulk payment.")
        problem = problem or _payment_problem(sandbox, account, payment)
        if problem is not None:
            return error_response(400, "invalidAttribute", problem[1], attribute=problem[0])
    idempotency = request.headers.get("ibanity-idempotency-key")
    for bulk in sandbox.bulk_payments.values():  # a retried POST returns the first bulk payment
        if idempotency and bulk["idempotency_key"] == idempotency:
            return json_response({"data": bulk["resource"]}, status_code=201)
    bulk_id = str(uuid.uuid4())
    shown = {
        k: attributes[k] for k in ("requestedExecutionDate", "reference", "batchBookingPreferred") if k in attributes
    }
    resource: dict[str, Any] = {
        "type": "bulkPayment",
        "id": bulk_id,
        "attributes": {"status": "unsigned", **shown},
        "links": {"redirect": f"{mount_url(request).removesuffix('/api')}/sign/bulk-payment/{bulk_id}"},
    }
    sandbox.bulk_payments[bulk_id] = {
        "account_id": request.path_params["account_id"],
        "resource": resource,
        "payments": attributes["payments"],
        "redirect_uri": attributes.get("redirectUri"),
        "idempotency_key": idempotency,
        "created_at": sandbox.now(),
    }
    return json_response({"data": resource}, status_code=201)


def _found(request: Request, store: dict[str, dict[str, Any]], key: str) -> dict[str, Any] | None:
    record = store.get(request.path_params[key])
    if (
        record is None
        or record["account_id"] != request.path_params["account_id"]
        or shared_account(request, record["account_id"]) is None
    ):
        return None
    return record


async def payment(request: Request) -> Response:
    """GET (the redirect link only while unsigned) or DELETE (an unsigned one) a payment."""
    return await _one(request, _sandbox(request).payments, "payment_id", "payment")


async def bulk_payment(request: Request) -> Response:
    """GET (the redirect link only while unsigned) or DELETE (an unsigned one) a bulk payment."""
    return await _one(request, _sandbox(request).bulk_payments, "bulk_payment_id", "bulkPayment")


async def _one(request: Request, store: dict[str, dict[str, Any]], key: str, kind: str) -> Response:
    if denied := authorized(request):
        return denied
    record = _found(request, store, key)
    if record is None:
        return not_found(kind)
    expire_if_due(_sandbox(request), record, kind)
    resource = record["resource"]
    if request.method == "DELETE":
        if resource["attributes"]["status"] != "unsigned":
            return error_response(400, "invalidRequest", f"Only an unsigned {kind} can be deleted.")
        del store[resource["id"]]
        return json_response({"data": {"type": kind, "id": resource["id"]}})
    unsigned = resource["attributes"]["status"] == "unsigned"
    return json_response({"data": {k: v for k, v in resource.items() if k != "links" or unsigned}})


def expire_if_due(sandbox: PontoSandbox, record: dict[str, Any], kind: str) -> None:
    """Left unsigned longer than the sandbox's `payment_expiry`, a payment expires."""
    created: datetime = record.get("created_at") or sandbox.now()
    if sandbox.payment_expiry is not None and sandbox.now() - created >= sandbox.payment_expiry:
        if record["resource"]["attributes"]["status"] == "unsigned":
            set_status(sandbox, record, kind, "expired")


def set_status(sandbox: PontoSandbox, record: dict[str, Any], kind: str, status: str) -> None:
    """Move a (bulk) payment; signed ("accepted"), its money leaves the account as bank lines; the
    organization is told by webhook."""
    attributes = record["resource"]["attributes"]
    if attributes["status"] == status:
        return
    attributes["status"] = status
    account_id = record["account_id"]
    if status == "accepted":
        given = record["payments"] if kind == "bulkPayment" else [attributes]
        sandbox.add_transactions(account_id, given=[_outgoing(p) for p in given])
    sandbox.webhooks.send(
        f"pontoConnect.{kind}.statusUpdated",
        {"account": account_id, "organization": sandbox.organization_of(account_id), kind: record["resource"]["id"]},
        status=status,
    )
    if status == "accepted":
        sandbox.background_sync(account_id)


def _outgoing(payment: dict[str, Any]) -> dict[str, Any]:
    """The bank line a signed payment becomes on the debtor's account."""
    return {
        "amount": -abs(Decimal(str(payment["amount"]))),
        "counterpartName": payment["creditorName"],
        "counterpartReference": payment["creditorAccountReference"],
        "remittanceInformation": payment.get("remittanceInformation"),
        "remittanceInformationType": payment.get("remittanceInformationType", "unstructured"),
        "endToEndId": payment.get("endToEndId"),
        "description": "SEPA payment",
    }


async def payment_page(request: Request) -> Response:
    """Where the person signs a payment (sandbox: any approval signs it), once."""
    sandbox = _sandbox(request)
    record = sandbox.payments.get(request.path_params["payment_id"])
    if record is None:
        return HTMLResponse(page("Unknown payment", "<main><p>No such payment.</p></main>"), status_code=404)
    attributes = record["resource"]["attributes"]
    rows = (
        f"<tr><td>{escape(str(attributes['creditorName']))}</td>"
        f"<td>{escape(str(attributes['creditorAccountReference']))}</td>"
        f"<td>{escape(str(attributes['amount']))} {escape(str(attributes['currency']))}</td>"
        f"<td>{escape(str(attributes.get('remittanceInformation') or ''))}</td></tr>"
    )
    return await _signing(request, record, "payment", rows, attributes.get("redirectUri"))


async def bulk_payment_page(request: Request) -> Response:
    """Where the person signs a bulk payment: approved, each of its payments leaves the account."""
    sandbox = _sandbox(request)
    record = sandbox.bulk_payments.get(request.path_params["bulk_payment_id"])
    if record is None:
        return HTMLResponse(page("Unknown bulk payment", "<main><p>No such bulk payment.</p></main>"), 404)
    rows = "".join(
        f"<tr><td>{escape(str(p['creditorName']))}</td><td>{escape(str(p['creditorAccountReference']))}</td>"
        f"<td>{escape(str(p['amount']))} {escape(str(p['currency']))}</td>"
        f"<td>{escape(str(p.get('remittanceInformation') or ''))}</td></tr>"
        for p in record["payments"]
    )
    return await _signing(request, record, "bulkPayment", rows, record.get("redirect_uri"))


async def _signing(request: Request, record: dict[str, Any], kind: str, rows: str, redirect: Any) -> Response:
    sandbox = _sandbox(request)
    expire_if_due(sandbox, record, kind)
    attributes = record["resource"]["attributes"]
    what = "bulk payment" if kind == "bulkPayment" else "payment"
    if request.method == "POST" and attributes["status"] == "unsigned":
        approved = (await request.form()).get("decision") == "approve"
        set_status(sandbox, record, kind, "accepted" if approved else "rejected")
        if redirect:
            return redirect_to(str(redirect), {kind: record["resource"]["id"], "status": attributes["status"]})
    if request.method == "POST" or attributes["status"] != "unsigned":
        body = f"<main><h1>The {what} is {escape(attributes['status'])}</h1><p>You can close this page.</p></main>"
        return HTMLResponse(page(f"{what.capitalize()} {attributes['status']}", body))
    reference = escape(str(attributes.get("reference") or ""))
    body = (
        f"<main><h1>Sign a {what} (Ponto sandbox)</h1><p>{reference}</p>"
        f"<table><tr><th>Creditor</th><th>IBAN</th><th>Amount</th><th>Communication</th></tr>{rows}</table>"
        f"<form method='post'>{decision_buttons('Sign', 'Reject')}</form>"
        "<p class='muted'>This is the local stand-in for Ponto; no bank is contacted.</p></main>"
    )
    return HTMLResponse(page(f"Sign {what}", body))


async def payment_activation_request(request: Request) -> Response:
    """A link where the organization asks for payments to be activated (§4.10); approving activates them."""
    if denied := authorized(request):
        return denied
    sandbox = _sandbox(request)
    attributes = await _attributes(request, "payment activation request")
    if isinstance(attributes, Response):
        return attributes
    request_id = str(uuid.uuid4())
    sandbox.activation_requests[request_id] = {
        "organization_id": request.state.organization_id,
        "redirect_uri": attributes.get("redirectUri"),
    }
    link = f"{mount_url(request).removesuffix('/api')}/activate-payments/{request_id}"
    body = {"data": {"type": "paymentActivationRequest", "id": request_id, "links": {"redirect": link}}}
    return json_response(body, status_code=201)


async def activation_page(request: Request) -> Response:
    sandbox = _sandbox(request)
    wanted = sandbox.activation_requests.get(request.path_params["request_id"])
    if wanted is None:
        return HTMLResponse(page("Unknown request", "<main><p>No such activation request.</p></main>"), 404)
    if request.method == "POST":
        if (await request.form()).get("decision") == "approve":
            sandbox.payments_activated.add(wanted["organization_id"])
        if wanted["redirect_uri"]:
            return redirect_to(str(wanted["redirect_uri"]), {"paymentActivation": "done"})
        return HTMLResponse(page("Payments", "<main><h1>Payment activation requested</h1></main>"))
    body = (
        "<main><h1>Activate payments (Ponto sandbox)</h1><p>Allow this organization to initiate payments.</p>"
        f"<form method='post'>{decision_buttons('Activate', 'Cancel')}</form></main>"
    )
    return HTMLResponse(page("Activate payments", body))


async def control_payment(request: Request) -> Response:
    """For tests: set a (bulk) payment's status as the bank would (`accepted`, `rejected`, `expired`, ...)."""
    sandbox = _sandbox(request)
    body = await request.json()
    payment_id = request.path_params["payment_id"]
    for kind, store in (("payment", sandbox.payments), ("bulkPayment", sandbox.bulk_payments)):
        if payment_id in store:
            set_status(sandbox, store[payment_id], kind, str(body["status"]))
            return json_response({"status": store[payment_id]["resource"]["attributes"]["status"]})
    return error_response(404, "resourceNotFound", "No such payment.")


async def control_payments(request: Request) -> Response:
    """For tests: what was created (payments and bulk payments, with their status), and the switches:
    {"activated": bool} (this organization's payments), {"institution": id, ...attributes},
    {"blocked_ibans": [...]}, {"expiry_seconds": n | null}."""
    sandbox = _sandbox(request)
    if request.method == "POST":
        body = await request.json()
        if "activated" in body:
            organization = str(body.get("organization") or sandbox.organization.id)
            (sandbox.payments_activated.add if body["activated"] else sandbox.payments_activated.discard)(organization)
        if "institution" in body:
            changes = {k: v for k, v in body.items() if k != "institution"}
            sandbox.institutions.setdefault(str(body["institution"]), {}).update(changes)
        if "blocked_ibans" in body:
            sandbox.blocked_ibans = {IBAN(i).compact for i in body["blocked_ibans"]}
        if "expiry_seconds" in body:
            seconds = body["expiry_seconds"]
            sandbox.payment_expiry = None if seconds is None else timedelta(seconds=float(seconds))
    listed = [
        {"kind": kind, "id": r["resource"]["id"], "account_id": r["account_id"], **r["resource"]["attributes"]}
        | ({"payments": r["payments"]} if kind == "bulkPayment" else {})
        for kind, store in (("payment", sandbox.payments), ("bulkPayment", sandbox.bulk_payments))
        for r in store.values()
    ]
    return json_response(json.loads(json.dumps({"payments": listed}, default=str)))
