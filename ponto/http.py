"""Response reading shared by the client modules: exact JSON and the status mapping."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import httpx

from .errors import (
    PontoAPIError,
    PontoAuthError,
    PontoNotFound,
    PontoRateLimited,
    PontoResponseError,
    PontoServerError,
)


def loads(data: bytes | str) -> Any:
    """Parse Ponto JSON with numbers as Decimal, so amounts never pass through float."""
    return json.loads(data, parse_float=Decimal)


_NUMBER = re.compile(r'"@@decimal(\d+)@@"')


def dumps(value: Any) -> bytes:
    """JSON in which each Decimal is written as a number with exactly its own digits."""
    numbers: list[str] = []

    def walk(item: Any) -> Any:
        if isinstance(item, Decimal):
            numbers.append(format(item, "f"))
            return f"@@decimal{len(numbers) - 1}@@"
        if isinstance(item, dict):
            return {key: walk(val) for key, val in item.items()}
        if isinstance(item, list | tuple):
            return [walk(val) for val in item]
        return item

    return _NUMBER.sub(lambda match: numbers[int(match[1])], json.dumps(walk(value))).encode("utf-8")


def read_json(response: httpx.Response) -> Any:
    try:
        return loads(response.content)
    except ValueError as exc:
        raise PontoResponseError(
            f"{response.request.method} {response.request.url.path} returned a body that is not JSON "
            f"({len(response.content)} bytes, status {response.status_code})"
        ) from exc


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def raise_for_response(response: httpx.Response) -> None:
    """The only place that maps an HTTP error status to an exception."""
    status = response.status_code
    if status < 400:
        return
    try:
        body = loads(response.content)
        errors = body.get("errors", []) if isinstance(body, dict) else []
    except ValueError:
        errors = []
    request_id = response.headers.get("ibanity-request-id")
    if request_id is None:
        request_id = next((e.get("meta", {}).get("requestId") for e in errors if isinstance(e, dict)), None)
    if status == 429:
        raise PontoRateLimited(status, errors, request_id, retry_after=_retry_after(response))
    kind: type[PontoAPIError] = PontoAPIError
    if status in (401, 403):
        kind = PontoAuthError
    elif status == 404:
        kind = PontoNotFound
    elif status >= 500:
        kind = PontoServerError
    raise kind(status, errors, request_id)
