"""The token manager on its own: what it stores after a refresh, and what it says when it cannot refresh.

The end-to-end races (two processes, rotated refresh tokens at the Ponto stand-in) are tested over HTTP
in tests/sandbox and tests/worker; these pin the rules a stand-in cannot show.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ponto import MemoryTokenStore, ReconnectRequired, TokenManager, TokenSet

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class FakeOAuth:
    """Ponto's token endpoint, answering each refresh with the next pair it was given."""

    def __init__(self, *answers: TokenSet) -> None:
        self.answers = list(answers)
        self.spent: list[str] = []

    async def refresh(self, refresh_token: str) -> TokenSet:
        self.spent.append(refresh_token)
        return self.answers.pop(0)


def manager(oauth: FakeOAuth, store: MemoryTokenStore, key: str) -> TokenManager:
    return TokenManager(oauth, store, key=key, clock=lambda: NOW)  # type: ignore[arg-type]


async def test_a_refresh_without_a_new_refresh_token_keeps_the_old_one() -> None:
    store = MemoryTokenStore(TokenSet("old-access", "refresh-1", NOW - timedelta(minutes=1)))
    oauth = FakeOAuth(TokenSet("new-access", None, NOW + timedelta(minutes=30)))
    assert await manager(oauth, store, "keep").access_token() == "new-access"
    assert oauth.spent == ["refresh-1"]
    assert store.tokens == TokenSet("new-access", "refresh-1", NOW + timedelta(minutes=30))
    assert store.saved == [store.tokens]  # handed to the store once, before use


async def test_a_rotated_refresh_token_replaces_the_old_one() -> None:
    store = MemoryTokenStore(TokenSet("old-access", "refresh-1", NOW - timedelta(minutes=1)))
    oauth = FakeOAuth(TokenSet("new-access", "refresh-2", NOW + timedelta(minutes=30)))
    await manager(oauth, store, "rotate").access_token()
    assert store.tokens.refresh_token == "refresh-2"


async def test_no_stored_refresh_token_asks_for_a_new_link() -> None:
    store = MemoryTokenStore(TokenSet("old-access", None, NOW - timedelta(minutes=1)))
    with pytest.raises(ReconnectRequired) as refused:
        await manager(FakeOAuth(), store, "none").access_token()
    assert (refused.value.error, refused.value.description) == (
        "no_refresh_token",
        "no refresh token is stored; link again",
    )
