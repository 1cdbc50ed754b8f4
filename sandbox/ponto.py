"""The Ponto Connect stand-in: consent page, OAuth, the resource API, signing pages, webhooks, control.

Mounted at /sandbox/ponto: the API under /api (same paths and shapes as
https://api.ibanity.com/ponto-connect), the consent page at /oauth2/auth, the webhook keys at
/webhooks/keys and the control API (add transactions, inject faults) at /_control.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import timedelta
from html import escape
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from . import ponto_api, ponto_control, ponto_payments
from .html import decision_buttons, page, redirect_to
from .ponto_state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, PontoSandbox

__all__ = ["DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "MOUNT", "PontoSandbox", "create_app", "create_standalone_app"]
MOUNT = "/sandbox/ponto"


def _sandbox(request: Request) -> PontoSandbox:
    return request.app.state.sandbox


def _oauth_error(error: str, description: str, status_code: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status_code)


def _client_ok(request: Request, sandbox: PontoSandbox) -> bool:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(user, sandbox.client_id) and hmac.compare_digest(password, sandbox.client_secret)


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def _consent_problem(sandbox: PontoSandbox, params: Any) -> str | None:
    if params.get("client_id") != sandbox.client_id:
        return "Unknown client_id."
    if params.get("response_type") != "code":
        return "response_type must be 'code'."
    if not params.get("redirect_uri", "").startswith(("http://", "https://")):
        return "redirect_uri must be an http(s) URL."
    if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
        return "PKCE is required: code_challenge with code_challenge_method=S256."
    if not params.get("state"):
        return "state is required."
    return None


_CONSENT_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def _hidden(values: dict[str, str]) -> str:
    return "".join(f"<input type='hidden' name='{k}' value='{escape(v, quote=True)}'>" for k, v in values.items())


async def consent_page(request: Request) -> Response:
    sandbox = _sandbox(request)
    problem = _consent_problem(sandbox, request.query_params)
    if problem:
        body = f"<main><h1>Ponto sandbox: bad authorization request</h1><p>{escape(problem)}</p></main>"
        return HTMLResponse(page("Bad request", body), status_code=400)
    hidden = _hidden({name: request.query_params.get(name, "") for name in _CONSENT_FIELDS})
    rows = "".join(
        f"<tr><td>{escape(a.description)}</td><td>{escape(a.reference)}</td><td>{a.currency}</td></tr>"
        for a in sandbox.organization.accounts
    )
    body = (
        "<main><h1>Ponto (sandbox): share your accounts</h1>"
        f"<p>An application asks access to <b>{escape(sandbox.organization.name)}</b> with scope "
        f"<code>{escape(request.query_params.get('scope', ''))}</code>. These accounts will be shared:</p>"
        f"<table><tr><th>Account</th><th>IBAN</th><th>Currency</th></tr>{rows}</table>"
        f"<form method='post'>{hidden}{_organization_choice(sandbox)}{decision_buttons()}</form>"
        "<p class='muted'>This is the local stand-in for Ponto; no bank is contacted.</p></main>"
    )
    return HTMLResponse(page("Ponto sandbox consent", body))


def _organization_choice(sandbox: PontoSandbox) -> str:
    """With several organizations, the person picks which one to share (as at Ponto); the demo's first."""
    if len(sandbox.organizations) == 1:
        return ""
    options = "".join(
        f"<option value='{escape(o.id, quote=True)}'>{escape(o.name)}</option>" for o in sandbox.organizations.values()
    )
    return f"<p><label>Organization <select name='organization'>{options}</select></label></p>"


async def consent_submit(request: Request) -> Response:
    sandbox = _sandbox(request)
    form = await request.form()
    problem = _consent_problem(sandbox, form)
    if problem:
        return HTMLResponse(page("Bad request", f"<main><p>{escape(problem)}</p></main>"), status_code=400)
    redirect_uri, state = str(form["redirect_uri"]), str(form["state"])
    if form.get("decision", "approve") != "approve":
        return redirect_to(
            redirect_uri, {"error": "access_denied", "error_description": "The user denied access.", "state": state}
        )
    organization = str(form.get("organization") or sandbox.organization.id)
    if organization not in sandbox.organizations:
        return HTMLResponse(page("Bad request", "<main><p>Unknown organization.</p></main>"), status_code=400)
    code = sandbox.issue_code(
        str(form["client_id"]), redirect_uri, str(form["code_challenge"]), str(form.get("scope") or ""), organization
    )
    return redirect_to(redirect_uri, {"code": code, "state": state})


async def token(request: Request) -> Response:
    sandbox = _sandbox(request)
    if not _client_ok(request, sandbox):
        return _oauth_error("invalid_client", "Client authentication failed.", 401)
    form = await request.form()
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        code = sandbox.codes.get(str(form.get("code", "")))
        if code is None or code.used or code.expires_at <= sandbox.now():
            return _oauth_error("invalid_grant", "The authorization code is invalid, expired or used.")
        code.used = True
        if form.get("redirect_uri") != code.redirect_uri:
            return _oauth_error("invalid_grant", "redirect_uri does not match the authorization request.")
        if _s256(str(form.get("code_verifier", ""))) != code.challenge:
            return _oauth_error("invalid_grant", "The PKCE code_verifier does not match the challenge.")
        return JSONResponse(sandbox.issue_tokens(code.scope, code.organization_id))
    if grant_type == "refresh_token":
        presented = str(form.get("refresh_token", ""))
        grant = sandbox.refresh_tokens.pop(presented, None)
        if grant is None:
            sandbox.refresh_reuses += presented in sandbox.spent_refresh_tokens
            return _oauth_error("invalid_grant", "The refresh token is invalid, revoked or already used.")
        sandbox.spent_refresh_tokens.add(presented)
        return JSONResponse(sandbox.issue_tokens(grant.scope, grant.organization_id))
    return _oauth_error("unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")


async def revoke(request: Request) -> Response:
    sandbox = _sandbox(request)
    if not _client_ok(request, sandbox):
        return _oauth_error("invalid_client", "Client authentication failed.", 401)
    value = str((await request.form()).get("token", ""))
    grant = sandbox.refresh_tokens.pop(value, None) or sandbox.access_tokens.pop(value, None)
    if grant is not None:
        sandbox.revoked.append(value)
        ended = [t for t, g in sandbox.access_tokens.items() if g.organization_id == grant.organization_id]
        for access in ended:  # revoking the refresh token ends the organization's access tokens too
            del sandbox.access_tokens[access]
    return JSONResponse({})


async def userinfo(request: Request) -> Response:
    sandbox = _sandbox(request)
    grant = sandbox.grant_for(request.headers.get("authorization", ""))
    if grant is None:
        return ponto_api.error_response(401, "invalidAccessToken", "Your access token is invalid.")
    body: dict[str, Any] = {
        "sub": grant.organization_id,
        "paymentsActivated": grant.organization_id in sandbox.payments_activated,
        "paymentsActivationRequested": True,
        "onboardingComplete": True,
    }
    if "name" in grant.scope.split():
        body["name"] = sandbox.organizations[grant.organization_id].name
    return JSONResponse(body)


async def reauthorize_page(request: Request) -> Response:
    sandbox = _sandbox(request)
    pending = sandbox.reauthorizations.get(request.path_params["request_id"])
    if pending is None:
        return HTMLResponse(page("Unknown request", "<main><p>No such request.</p></main>"), status_code=404)
    account = sandbox.account(pending["account_id"])
    if request.method == "POST":
        if (await request.form()).get("decision") == "approve":
            account.authorized_at = sandbox.now().replace(microsecond=0)
            account.authorization_expires_at = account.authorized_at + timedelta(days=180)
            sandbox.webhooks.send(
                "pontoConnect.account.reauthorized",
                {"account": account.id, "organization": sandbox.organization_of(account.id)},
            )
        return RedirectResponse(pending["redirect_uri"], status_code=303)
    form = f"<form method='post'>{decision_buttons('Renew', 'Cancel')}</form>"
    body = (
        f"<main><h1>Renew bank access (Ponto sandbox)</h1>"
        f"<p>{escape(account.description)} {escape(account.reference)}</p>{form}</main>"
    )
    return HTMLResponse(page("Reauthorize", body))


API_ROUTES = [
    Route("/oauth2/token", token, methods=["POST"]),
    Route("/oauth2/revoke", revoke, methods=["POST"]),
    Route("/userinfo", userinfo, methods=["GET"]),
    Route("/accounts", ponto_api.list_accounts, methods=["GET"]),
    Route("/accounts/{account_id}", ponto_api.get_account, methods=["GET"]),
    Route("/accounts/{account_id}/transactions", ponto_api.list_transactions, methods=["GET"]),
    Route("/accounts/{account_id}/transactions/{transaction_id}", ponto_api.get_transaction, methods=["GET"]),
    Route("/accounts/{account_id}/pending-transactions", ponto_api.list_transactions, methods=["GET"]),
    Route("/accounts/{account_id}/pending-transactions/{transaction_id}", ponto_api.get_transaction),
    Route("/accounts/{account_id}/reauthorization-requests", ponto_api.create_reauthorization, methods=["POST"]),
    Route("/accounts/{account_id}/payments", ponto_payments.create_payment, methods=["POST"]),
    Route("/accounts/{account_id}/payments/{payment_id}", ponto_payments.payment, methods=["GET", "DELETE"]),
    Route("/accounts/{account_id}/bulk-payments", ponto_payments.create_bulk_payment, methods=["POST"]),
    Route(
        "/accounts/{account_id}/bulk-payments/{bulk_payment_id}", ponto_payments.bulk_payment, methods=["GET", "DELETE"]
    ),
    Route("/payment-activation-requests", ponto_payments.payment_activation_request, methods=["POST"]),
    Route("/financial-institutions/{institution_id}", ponto_payments.financial_institution, methods=["GET"]),
    Route("/synchronizations", ponto_api.create_synchronization, methods=["POST"]),
    Route("/synchronizations/{sync_id}", ponto_api.get_synchronization, methods=["GET"]),
    Route("/synchronizations/{sync_id}/updated-transactions", ponto_api.updated_transactions, methods=["GET"]),
    Route("/synchronizations/{sync_id}/updated-pending-transactions", ponto_api.updated_transactions),
]


def create_app(sandbox: PontoSandbox | None = None) -> Starlette:
    """The stand-in as an ASGI app, to be mounted at /sandbox/ponto."""
    state = sandbox or PontoSandbox()
    api = Starlette(routes=API_ROUTES)
    api.state.sandbox = state
    app = Starlette(
        routes=[
            Route("/oauth2/auth", consent_page, methods=["GET"]),
            Route("/oauth2/auth", consent_submit, methods=["POST"]),
            Route("/sign/payment/{payment_id}", ponto_payments.payment_page, methods=["GET", "POST"]),
            Route("/sign/bulk-payment/{bulk_payment_id}", ponto_payments.bulk_payment_page, methods=["GET", "POST"]),
            Route("/reauthorize/{request_id}", reauthorize_page, methods=["GET", "POST"]),
            Route("/activate-payments/{request_id}", ponto_payments.activation_page, methods=["GET", "POST"]),
            Route("/webhooks/keys", ponto_api.webhook_keys, methods=["GET"]),
            Mount("/api", app=ponto_control.Faults(api, state)),
            Mount("/_control", routes=ponto_control.ROUTES),
        ]
    )
    app.state.sandbox = state
    return app


def create_standalone_app(sandbox: PontoSandbox | None = None) -> Starlette:
    """The stand-in alone, at the same paths as when mounted in `serve`."""
    return Starlette(routes=[Mount(MOUNT, app=create_app(sandbox))])
