"""The Ponto stand-in's consent, approved as the app's user would: returns the authorization code."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from ponto import code_challenge
from sandbox.ponto import DEFAULT_CLIENT_ID

VERIFIER = "v" * 64


async def consent_code(
    http: httpx.AsyncClient,
    base: str,
    *,
    redirect_uri: str = "http://app.test/cb",
    scope: str = "ai pi name offline_access",
    verifier: str = VERIFIER,
    state: str = "s",
    organization: str | None = None,
) -> str:
    response = await http.post(
        f"{base}/oauth2/auth",
        data={
            "client_id": DEFAULT_CLIENT_ID,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": scope,
            "state": state,
            "code_challenge": code_challenge(verifier),
            "code_challenge_method": "S256",
            "decision": "approve",
            **({"organization": organization} if organization else {}),
        },
    )
    assert response.status_code == 303, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["state"] == [state]
    return query["code"][0]
