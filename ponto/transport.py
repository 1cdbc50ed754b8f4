"""Every call to the Ponto API goes through here: auth, idempotency, signing, bounded retries."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpx

from .errors import (
    PontoAPIError,
    PontoAuthError,
    PontoRateLimited,
    PontoResponseError,
    PontoServerError,
    PontoTransportError,
)
from .http import dumps, raise_for_response, read_json
from .tokens import TokenSource

log = logging.getLogger(__name__)
ACCEPT = "application/vnd.api+json;version=2"
CORRELATION: ContextVar[str | None] = ContextVar("ponto_correlation", default=None)


@contextmanager
def correlated(run_id: str) -> Iterator[None]:
    """Every Ponto call made within the block (one sync, say) carries `X-Correlation-Id: run_id`, so the
    calls of one run can be told apart from another process's in Ponto's logs and the stand-in's record."""
    token = CORRELATION.set(run_id)
    try:
        yield
    finally:
        CORRELATION.reset(token)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter; Retry-After wins when the server gives one."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0

    def delay(self, attempt: int, retry_after: float | None, rand: Callable[[], float]) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return float(min(self.max_delay, self.base_delay * 2**attempt) * rand())


DEFAULT_RETRY = RetryPolicy()


class PontoTransport:
    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: TokenSource,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._http = http
        self._tokens = tokens
        self._retry = retry
        self._sleep = sleep
        self._rand = rand

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Send, retrying what is safe to retry; a POST keeps one idempotency key across attempts (the
        caller's, when it stored one first, so a retry after a crash is the same request to Ponto)."""
        content = dumps(body) if body is not None else b""
        base_headers = {"Accept": ACCEPT}
        if body is not None:
            base_headers["Content-Type"] = "application/vnd.api+json"
        if method in ("POST", "PATCH"):
            base_headers["Ibanity-Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        if (run_id := CORRELATION.get()) is not None:
            base_headers["X-Correlation-Id"] = run_id
        refreshed = False
        attempt = 0
        while True:
            token = await self._tokens.access_token()
            try:
                headers = {**base_headers, "Authorization": f"Bearer {token}"}
                response = await self._send(method, url, params, content, headers)
                if response.status_code == 401 and not refreshed:
                    refreshed = True
                    await self._tokens.refresh(token)
                    continue
                raise_for_response(response)
                return read_json(response) if response.content else None
            except (PontoRateLimited, PontoServerError, PontoTransportError, PontoResponseError) as exc:
                attempt += 1
                if attempt >= self._retry.attempts or isinstance(exc, PontoResponseError) and method != "GET":
                    raise
                retry_after = exc.retry_after if isinstance(exc, PontoRateLimited) else None
                delay = self._retry.delay(attempt, retry_after, self._rand)
                log.warning(
                    "Ponto %s %s: %s; retry %d/%d in %.1fs",
                    method,
                    httpx.URL(url).path,
                    exc,
                    attempt,
                    self._retry.attempts - 1,
                    delay,
                )
                await self._sleep(delay)
            except PontoAuthError:
                raise
            except PontoAPIError as exc:
                log.warning("Ponto %s %s refused: %s", method, httpx.URL(url).path, exc)
                raise

    async def _send(
        self, method: str, url: str, params: Mapping[str, Any] | None, content: bytes, headers: dict[str, str]
    ) -> httpx.Response:
        request = self._http.build_request(method, url, params=params, content=content or None, headers=headers)
        try:
            return await self._http.send(request)
        except httpx.TransportError as exc:
            raise PontoTransportError(f"{method} {request.url.path} failed: {exc!r}") from exc
