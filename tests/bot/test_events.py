"""Which Slack events remove the app from a workspace (and so stop everything for it)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.listeners.events import removes_the_bot


@pytest.mark.parametrize(
    ("event", "removes"),
    [
        ({"type": "app_uninstalled"}, True),
        ({"type": "tokens_revoked", "tokens": {"bot": ["U0BOT"]}}, True),
        ({"type": "tokens_revoked", "tokens": {"oauth": ["U0ALICE"], "bot": ["U0BOT"]}}, True),
        ({"type": "tokens_revoked", "tokens": {"oauth": ["U0ALICE"]}}, False),  # one person's user token
        ({"type": "tokens_revoked", "tokens": {"oauth": ["U0ALICE"], "bot": []}}, False),
    ],
)
def test_only_the_bot_losing_its_token_removes_the_app(event: dict[str, Any], removes: bool) -> None:
    assert removes_the_bot(event) is removes
