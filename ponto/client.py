"""Ponto Connect resource client over an injected httpx.AsyncClient."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from .errors import PontoError, PontoResponseError, PontoTransportError
from .http import raise_for_response, read_json
from .models import Account, UserInfo

ACCEPT = "application/vnd.api+json;version=2"
MAX_PAGES = 10_000  # a bound on every paging loop, far above any real organization


class PontoClient:
    """Calls made with one organization's access token."""

    def __init__(self, http: httpx.AsyncClient, *, api_url: str, access_token: str) -> None:
        self._http = http
        self._api_url = api_url.rstrip("/")
        self._access_token = access_token

    async def userinfo(self) -> UserInfo:
        return UserInfo.from_json(await self._get_json(f"{self._api_url}/userinfo"))

    async def iter_accounts(self, *, page_limit: int = 100) -> AsyncIterator[Account]:
        async for obj in self._iter_collection(f"{self._api_url}/accounts", page_limit=page_limit):
            yield Account.from_jsonapi(obj)

    async def list_accounts(self) -> list[Account]:
        return [account async for account in self.iter_accounts()]

    async def _iter_collection(self, url: str, *, page_limit: int) -> AsyncIterator[Mapping[str, Any]]:
        """Yield resource objects page by page, following `links.next` verbatim."""
        next_url: str | None = url
        params: dict[str, Any] | None = {"page[limit]": page_limit}
        for _ in range(MAX_PAGES):
            if next_url is None:
                return
            body = await self._get_json(next_url, params=params)
            params = None  # the next link carries its own query
            data = body.get("data")
            if not isinstance(data, list):
                raise PontoResponseError(f"{url} returned no data list")
            for obj in data:
                yield obj
            links = body.get("links") or {}
            following = links.get("next")
            next_url = following if following and following != next_url and data else None
        raise PontoError(f"{url}: more than {MAX_PAGES} pages; stopped")

    async def _get_json(self, url: str, params: Mapping[str, Any] | None = None) -> Any:
        try:
            response = await self._http.get(
                url,
                params=params,
                headers={"Authorization": f"Bearer {self._access_token}", "Accept": ACCEPT},
            )
        except httpx.TransportError as exc:
            raise PontoTransportError(f"GET {httpx.URL(url).path} failed: {exc!r}") from exc
        raise_for_response(response)
        return read_json(response)
