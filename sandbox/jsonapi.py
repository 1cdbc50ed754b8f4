"""JSON for the Ponto stand-in: Decimals written as exact JSON numbers, JSON:API errors, paging."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Sequence
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


def page_of(
    items: Sequence[Any],
    *,
    url: str,
    limit: int,
    after: str | None,
    before: str | None = None,
    key: Callable[[Any], str] = lambda item: item["id"],
    render: Callable[[Any], dict[str, Any]] = lambda item: item,
) -> dict[str, Any]:
    """Cursor paging as Ponto does it: `page[limit]`, `page[after]` / `page[before]`, absolute links.

    Only the page's own items are rendered, so a long list costs little per page.
    """
    ids = [key(item) for item in items] if after is not None or before is not None else []
    start, end = 0, min(limit, len(items))
    if after is not None:
        start = ids.index(after) + 1 if after in ids else len(items)
        end = min(start + limit, len(items))
    elif before is not None:
        end = ids.index(before) if before in ids else 0
        start = max(0, end - limit)
    chunk = [render(item) for item in items[start:end]]
    links = {"first": f"{url}?{urlencode({'page[limit]': limit})}"}
    if end < len(items) and chunk:
        links["next"] = f"{url}?{urlencode({'page[after]': chunk[-1]['id'], 'page[limit]': limit})}"
    if start > 0 and chunk:
        links["prev"] = f"{url}?{urlencode({'page[before]': chunk[0]['id'], 'page[limit]': limit})}"
    paging: dict[str, Any] = {"limit": limit}
    if after is not None:
        paging["after"] = after
    if before is not None:
        paging["before"] = before
    return {"data": chunk, "links": links, "meta": {"paging": paging}}
