"""Limits enforced before any handler (or bolt) reads a request: size while streaming, Slack's signature.

An unauthenticated caller must not make the process hold a large body or reach a parser: the body is
read in chunks and refused as soon as it passes the route's limit, and `/slack/events` is checked with
slack_sdk's SignatureVerifier before bolt parses anything. Security headers go on every HTML page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from slack_sdk.signature import SignatureVerifier
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SLACK_EVENTS = "/slack/events"
BODY_LIMITS = {  # bytes, per route that takes a body
    "/api/invoices": 5 * 1024 * 1024,
    "/ponto/webhooks": 256 * 1024,
    SLACK_EVENTS: 1024 * 1024,  # Slack's payloads are a few KiB; a message with 50 blocks stays far below
}
CSP = b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; form-action 'self'"
HTML_HEADERS = [
    (b"content-security-policy", CSP),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
]


class RequestLimits:
    """ASGI middleware: body limits while streaming, Slack signatures up front, security headers on HTML."""

    def __init__(
        self, app: ASGIApp, *, slack_signing_secret: str | None, limits: Mapping[str, int] = BODY_LIMITS
    ) -> None:
        self.app = app
        self.limits = dict(limits)
        self.verifier = SignatureVerifier(slack_signing_secret) if slack_signing_secret else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not scope["path"].startswith("/sandbox/"):  # the stand-ins' pages are demo tools with inline script
            send = _with_html_headers(send)
        limit = self.limits.get(scope["path"])
        if limit is None or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _answer(send, 413, f"the body is larger than {limit} bytes")
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await _answer(send, 413, f"the body is larger than {limit} bytes")
                return
            if not message.get("more_body"):
                break
        if scope["path"] == SLACK_EVENTS and not self._signed_by_slack(bytes(body), headers):
            await _answer(send, 401, "invalid or missing Slack signature")
            return
        await self.app(scope, _replay(bytes(body), receive), send)

    def _signed_by_slack(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Slack's v0 signature over the raw body, checked before bolt parses a byte of it."""
        if self.verifier is None:
            return True
        timestamp, signature = headers.get("x-slack-request-timestamp", ""), headers.get("x-slack-signature", "")
        if not timestamp.isdigit() or not signature:
            return False
        try:
            return self.verifier.is_valid(body.decode("utf-8"), timestamp, signature)
        except (UnicodeDecodeError, ValueError):
            return False


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _with_html_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
            if content_type.startswith(b"text/html"):
                message = {**message, "headers": headers + HTML_HEADERS}
        await send(message)

    return wrapped


async def _answer(send: Send, status: int, error: str) -> None:
    body = json.dumps({"error": error}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
