"""The Ponto Connect stand-in: consent page, OAuth token endpoint and the account API.

Mounted at /sandbox/ponto: the API under /api (same paths and shapes as
https://api.ibanity.com/ponto-connect), the consent page at /oauth2/auth.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from .html import mount_url, page
from .jsonapi import error_response, json_response, page_of
from .ponto_data import SandboxOrganization, account_resource, demo_organization

DEFAULT_CLIENT_ID = "sandbox-client"
DEFAULT_CLIENT_SECRET = "sandbox-secret"
MOUNT = "/sandbox/ponto"


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    expires_at: datetime
    used: bool = False


@dataclass
class _Grant:
    """An issued access token, or a refresh token that can be spent once."""

    organization_id: str
    scope: str
    expires_at: datetime | None


class PontoSandbox:
    """In-memory state of the stand-in; tokens expire and refresh tokens rotate like Ponto's."""

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        access_token_ttl: int = 1799,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_token_ttl = access_token_ttl
        self.organization: SandboxOrganization = demo_organization(datetime.now(UTC))
        self.codes: dict[str, _Code] = {}
        self.access_tokens: dict[str, _Grant] = {}
        self.refresh_tokens: dict[str, _Grant] = {}
        self.revoked: list[str] = []

    def now(self) -> datetime:
        return datetime.now(UTC)

    # -- consent ---------------------------------------------------------------------------------

    def issue_code(self, client_id: str, redirect_uri: str, challenge: str, scope: str) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = _Code(client_id, redirect_uri, challenge, scope, self.now() + timedelta(minutes=5))
        return code

    def issue_tokens(self, scope: str) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = self.now() + timedelta(seconds=self.access_token_ttl)
        self.access_tokens[access] = _Grant(self.organization.id, scope, expires)
        body: dict[str, Any] = {
            "access_token": access,
            "expires_in": self.access_token_ttl,
            "scope": scope,
            "token_type": "bearer",
        }
        if "offline_access" in scope.split():
            self.refresh_tokens[refresh] = _Grant(self.organization.id, scope, None)
            body["refresh_token"] = refresh
        return body

    def grant_for(self, request: Request) -> _Grant | None:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        grant = self.access_tokens.get(header[7:].strip())
        if grant is None or (grant.expires_at is not None and grant.expires_at <= self.now()):
            return None
        return grant


def _oauth_error(error: str, description: str, status_code: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status_code)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


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


_CONSENT_FIELDS = ("client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge",
                   "code_challenge_method")  # fmt: skip


async def consent_page(request: Request) -> Response:
    sandbox: PontoSandbox = request.app.state.sandbox
    problem = _consent_problem(sandbox, request.query_params)
    if problem:
        body = f"<main><h1>Ponto sandbox: bad authorization request</h1><p>{escape(problem)}</p></main>"
        return HTMLResponse(page("Bad request", body), status_code=400)
    hidden = "".join(
        f"<input type='hidden' name='{name}' value='{escape(request.query_params.get(name, ''), quote=True)}'>"
        for name in _CONSENT_FIELDS
    )
    rows = "".join(
        f"<tr><td>{escape(a.description)}</td><td>{escape(a.reference)}</td><td>{a.currency}</td></tr>"
        for a in sandbox.organization.accounts
    )
    scope = escape(request.query_params.get("scope", ""))
    body = (
        "<main><h1>Ponto (sandbox): share your accounts</h1>"
        f"<p>An application asks access to <b>{escape(sandbox.organization.name)}</b> with scope "
        f"<code>{scope}</code>. These accounts will be shared:</p>"
        f"<table><tr><th>Account</th><th>IBAN</th><th>Currency</th></tr>{rows}</table>"
        f"<form method='post'>{hidden}<p>"
        "<button class='primary' type='submit' name='decision' value='approve'>Approve</button> "
        "<button type='submit' name='decision' value='deny'>Deny</button></p></form>"
        "<p class='muted'>This is the local stand-in for Ponto; no bank is contacted.</p></main>"
    )
    return HTMLResponse(page("Ponto sandbox consent", body))


async def consent_submit(request: Request) -> Response:
    sandbox: PontoSandbox = request.app.state.sandbox
    form = await request.form()
    problem = _consent_problem(sandbox, form)
    if problem:
        return HTMLResponse(page("Bad request", f"<main><p>{escape(problem)}</p></main>"), status_code=400)
    redirect_uri, state = str(form["redirect_uri"]), str(form["state"])
    if form.get("decision", "approve") != "approve":
        query = {"error": "access_denied", "error_description": "The user denied access.", "state": state}
    else:
        code = sandbox.issue_code(
            str(form["client_id"]), redirect_uri, str(form["code_challenge"]), str(form.get("scope") or "")
        )
        query = {"code": code, "state": state}
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(query)}", status_code=303)


async def token(request: Request) -> Response:
    sandbox: PontoSandbox = request.app.state.sandbox
    credentials = _basic_credentials(request)
    if credentials is None or not (
        hmac.compare_digest(credentials[0], sandbox.client_id)
        and hmac.compare_digest(credentials[1], sandbox.client_secret)
    ):
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
        return JSONResponse(sandbox.issue_tokens(code.scope))
    if grant_type == "refresh_token":
        grant = sandbox.refresh_tokens.pop(str(form.get("refresh_token", "")), None)
        if grant is None:
            return _oauth_error("invalid_grant", "The refresh token is invalid, revoked or already used.")
        return JSONResponse(sandbox.issue_tokens(grant.scope))
    return _oauth_error("unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")


async def revoke(request: Request) -> Response:
    sandbox: PontoSandbox = request.app.state.sandbox
    credentials = _basic_credentials(request)
    if credentials != (sandbox.client_id, sandbox.client_secret):
        return _oauth_error("invalid_client", "Client authentication failed.", 401)
    value = str((await request.form()).get("token", ""))
    if sandbox.refresh_tokens.pop(value, None) is not None or sandbox.access_tokens.pop(value, None) is not None:
        sandbox.revoked.append(value)
        # Revoking the refresh token ends the integration's access tokens too.
        sandbox.access_tokens.clear()
    return JSONResponse({})


def _unauthorized() -> Response:
    return error_response(401, "invalidAccessToken", "Your access token is invalid.")


def _api_base(request: Request) -> str:
    return mount_url(request)


async def userinfo(request: Request) -> Response:
    sandbox: PontoSandbox = request.app.state.sandbox
    grant = sandbox.grant_for(request)
    if grant is None:
        return _unauthorized()
    body: dict[str, Any] = {
        "sub": sandbox.organization.id,
        "paymentsActivated": True,
        "paymentsActivationRequested": True,
        "onboardingComplete": True,
    }
    if "name" in grant.scope.split():
        body["name"] = sandbox.organization.name
    return JSONResponse(body)


def _page_limit(request: Request) -> int | Response:
    raw = request.query_params.get("page[limit]", request.query_params.get("limit", "10"))
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        return error_response(400, "invalidParameter", "page[limit] must be between 1 and 100.",
                              parameter="page[limit]")  # fmt: skip
    return limit


async def list_accounts(request: Request) -> Response:
    sandbox: PontoSandbox = request.app.state.sandbox
    if sandbox.grant_for(request) is None:
        return _unauthorized()
    limit = _page_limit(request)
    if isinstance(limit, Response):
        return limit
    base = _api_base(request)
    items = [account_resource(account, base) for account in sandbox.organization.accounts]
    after = request.query_params.get("page[after]", request.query_params.get("after"))
    return json_response(page_of(items, url=f"{base}/accounts", limit=limit, after=after))


async def get_account(request: Request) -> Response:
    sandbox: PontoSandbox = request.app.state.sandbox
    if sandbox.grant_for(request) is None:
        return _unauthorized()
    for account in sandbox.organization.accounts:
        if account.id == request.path_params["account_id"]:
            return json_response({"data": account_resource(account, _api_base(request))})
    return error_response(404, "resourceNotFound", "The requested resource was not found.", resource="account")


def create_app(sandbox: PontoSandbox | None = None) -> Starlette:
    """The stand-in as an ASGI app, to be mounted at /sandbox/ponto."""
    app = Starlette(
        routes=[
            Route("/oauth2/auth", consent_page, methods=["GET"]),
            Route("/oauth2/auth", consent_submit, methods=["POST"]),
            Mount(
                "/api",
                routes=[
                    Route("/oauth2/token", token, methods=["POST"]),
                    Route("/oauth2/revoke", revoke, methods=["POST"]),
                    Route("/userinfo", userinfo, methods=["GET"]),
                    Route("/accounts", list_accounts, methods=["GET"]),
                    Route("/accounts/{account_id}", get_account, methods=["GET"]),
                ],
            ),
        ]
    )
    app.state.sandbox = sandbox or PontoSandbox()
    return app


def create_standalone_app(sandbox: PontoSandbox | None = None) -> Starlette:
    """The stand-in alone, at the same paths as when mounted in `serve`."""
    return Starlette(routes=[Mount(MOUNT, app=create_app(sandbox))])
