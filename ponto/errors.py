"""Errors raised by the Ponto Connect client.

PontoError
├── PontoTransportError        the request did not complete (connect error, timeout)
├── PontoResponseError         the body could not be read (truncated or not JSON)
├── PontoOAuthError            /oauth2/token or /oauth2/revoke refused (error, description)
│   └── ReconnectRequired      invalid_grant: the organization must link again
└── PontoAPIError              any other status >= 400, with the JSON:API error items
    ├── PontoAuthError         401 / 403
    ├── PontoNotFound          404
    ├── PontoRateLimited       429 (retry_after seconds, when given)
    └── PontoServerError       5xx
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class PontoError(Exception):
    """Base of every error this package raises."""


class PontoTransportError(PontoError):
    """The HTTP request failed before a response arrived."""


class PontoResponseError(PontoError):
    """A response arrived but its body is not the JSON we expected."""


class PontoOAuthError(PontoError):
    """The OAuth endpoints refused the request."""

    def __init__(self, status_code: int, error: str, description: str = "") -> None:
        self.status_code = status_code
        self.error = error
        self.description = description
        super().__init__(f"Ponto OAuth error {status_code} {error}: {description}".rstrip(": "))


class ReconnectRequired(PontoOAuthError):
    """The grant (code or refresh token) is no longer valid: the organization must link again."""


class PontoAPIError(PontoError):
    """Ponto answered with an error status; `errors` are the JSON:API error items."""

    def __init__(
        self,
        status_code: int,
        errors: Sequence[Mapping[str, Any]] = (),
        request_id: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.errors = list(errors)
        self.request_id = request_id
        codes = ", ".join(f"{e.get('code')}: {e.get('detail')}" for e in self.errors) or "no error body"
        suffix = f" (request id {request_id})" if request_id else ""
        super().__init__(f"Ponto API error {status_code}: {codes}{suffix}")

    @property
    def codes(self) -> list[str]:
        return [str(e.get("code")) for e in self.errors if e.get("code")]


class PontoAuthError(PontoAPIError):
    """The access token was refused (401) or lacks the right (403)."""


class PontoNotFound(PontoAPIError):
    """The resource does not exist (404)."""


class PontoRateLimited(PontoAPIError):
    """Too many requests (429); retry after `retry_after` seconds when known."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class PontoServerError(PontoAPIError):
    """Ponto failed (5xx)."""
