"""The scopes a token holds (those the app's manifest declares) and the scope each call needs."""

from __future__ import annotations

from pathlib import Path

import yaml

from .slack_state import Channel

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yml"

# Per Slack's method docs: reading a conversation needs the scope of its type.
READ = {"public": "channels:read", "private": "groups:read", "im": "im:read"}
HISTORY = {"public": "channels:history", "private": "groups:history", "im": "im:history"}
LIST_TYPES = {"public_channel": "channels:read", "private_channel": "groups:read", "im": "im:read", "mpim": "mpim:read"}


def manifest_scopes(path: Path = MANIFEST) -> frozenset[str]:
    """What an install of the app is granted: exactly the bot scopes its manifest asks for."""
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    return frozenset(manifest["oauth_config"]["scopes"]["bot"])


def kind(channel: Channel) -> str:
    if channel.id.startswith("D"):
        return "im"
    return "private" if channel.is_private else "public"
