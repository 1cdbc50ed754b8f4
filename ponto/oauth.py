"""OAuth2 authorization code flow with PKCE against Ponto Connect.

`authorize_url` and the PKCE helpers are pure; `PontoOAuth` does the token calls
(HTTP Basic client authentication, form bodies) over an injected httpx client.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from .errors import PontoOAuthError, PontoResponseError, PontoTransportError, ReconnectRequired
from .http import read_json
from .models import TokenSet

DEFAULT_SCOPE = "ai pi name offline_access"


def make_code_verifier() -> str:
    """A PKCE code verifier: 64 URL-safe characters (RFC 7636 allows 43 to 128)."""
    return secrets.token_urlsafe(48)


def code_challenge(verifier: str) -> str:
    """The S256 challenge: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(
    auth_url: str,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    verifier: str,
    scope: str = DEFAULT_SCOPE,
) -> str:
    """The consent page URL the person opens in a browser."""
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": scope,
            "state": state,
            "code_challenge": code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in auth_url else "?"
    return f"{auth_url}{separator}{query}"


@dataclass(frozen=True)
class OAuthClientConfig:
    """The Ponto Connect application: where its token endpoint is and how it authenticates."""

    api_url: str
    client_id: str
    client_secret: str


class PontoOAuth:
    """Token endpoint calls: code exchange, refresh and revoke."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: OAuthClientConfig,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._http = http
        self._config = config
        self._clock = clock

    async def exchange_code(self, code: str, *, redirect_uri: str, verifier: str) -> TokenSet:
        return await self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self._config.client_id,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            }
        )

    async def refresh(self, refresh_token: str) -> TokenSet:
        return await self._token(
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self._config.client_id,
            }
        )

    async def revoke(self, token: str) -> None:
        await self._post("/oauth2/revoke", {"token": token})

    async def _token(self, form: dict[str, str]) -> TokenSet:
        now = self._clock()
        body = await self._post("/oauth2/token", form)
        if not isinstance(body, dict) or "access_token" not in body:
            raise PontoResponseError("the token response has no access_token")
        return TokenSet.from_response(body, now)

    async def _post(self, path: str, form: dict[str, str]) -> Any:
        url = self._config.api_url.rstrip("/") + path
        try:
            response = await self._http.post(
                url,
                data=form,
                auth=(self._config.client_id, self._config.client_secret),
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            raise PontoTransportError(f"POST {path} failed: {exc!r}") from exc
        if response.status_code >= 400:
            raise _oauth_error(response)
        return read_json(response) if response.content else None


def _oauth_error(response: httpx.Response) -> PontoOAuthError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = str(body.get("error") or f"http_{response.status_code}") if isinstance(body, dict) else ""
    description = ""
    if isinstance(body, dict):
        description = str(body.get("error_description") or body.get("error_hint") or "")
    # A refusal (invalid_grant, invalid_client, unauthorized_client...) cannot be retried with the same
    # code or refresh token: the organization must link again. 429 and 5xx are passing troubles.
    refused = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
    kind = ReconnectRequired if refused else PontoOAuthError
    return kind(response.status_code, error, description)
