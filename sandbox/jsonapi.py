"""JSON for the Ponto stand-in: Decimals written as exact JSON numbers, JSON:API errors, paging."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

_MARK = re.compile(r'"@@number(\d+)@@"')


def dumps(value: Any) -> str:
    """JSON text in which every Decimal is a number with exactly its own digits."""
    numbers: list[str] = []

    def walk(item: Any) -> Any:
        if isinstance(item, Decimal):
            numbers.append(str(item))
            return f"@@number{len(numbers) - 1}@@"
        if isinstance(item, dict):
            return {key: walk(val) for key, val in item.items()}
        if isinstance(item, list | tuple):
            return [walk(val) for val in item]
        return item

    return _MARK.sub(lambda match: numbers[int(match[1])], json.dumps(walk(value)))


def json_response(body: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    request_id = str(uuid.uuid4())
    return Response(
        dumps(body),
        status_code=status_code,
        media_type="application/vnd.api+json",
        headers={"ibanity-request-id": request_id, **(headers or {})},
    )


def error_response(status_code: int, code: str, detail: str, **meta: Any) -> Response:
    request_id = str(uuid.uuid4())
    body = {"errors": [{"code": code, "detail": detail, "meta": {"requestId": request_id, **meta}}]}
    return json_response(body, status_code)


def page_of(items: Sequence[dict[str, Any]], *, url: str, limit: int, after: str | None) -> dict[str, Any]:
    """Cursor paging as Ponto does it: `page[limit]`, `page[after]`, absolute `links.next`."""
    start = 0
    if after is not None:
        ids = [item["id"] for item in items]
        start = ids.index(after) + 1 if after in ids else len(items)
    chunk = list(items[start : start + limit])
    links = {"first": f"{url}?{urlencode({'page[limit]': limit})}"}
    if start + limit < len(items) and chunk:
        links["next"] = f"{url}?{urlencode({'page[after]': chunk[-1]['id'], 'page[limit]': limit})}"
    paging: dict[str, Any] = {"limit": limit}
    if after is not None:
        paging["after"] = after
    return {"data": chunk, "links": links, "meta": {"paging": paging}}
