"""The Slack stand-in's workspace: users, channels, messages, ephemeral messages."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

DEFAULT_BOT_TOKEN = "xoxb-sandbox"
DEFAULT_SIGNING_SECRET = "sandbox-signing-secret"
DEFAULT_OAUTH_CLIENT = ("sandbox-slack-client", "sandbox-slack-secret")  # for the multi-workspace install
MOUNT = "/sandbox/slack"


@dataclass
class User:
    id: str
    name: str
    real_name: str
    is_admin: bool = False
    is_owner: bool = False
    tz: str = "Europe/Brussels"


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    members: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)  # oldest first


@dataclass
class Workspace:
    team_id: str = "T0DEMO"
    team_name: str = "Demo Company"
    domain: str = "demo-company"
    bot_user_id: str = "U0BOT"
    bot_id: str = "B0BOT"
    app_id: str = "A0PONTO"
    enterprise_id: str | None = None  # set: the workspace belongs to an Enterprise Grid org
    users: dict[str, User] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    homes: dict[str, dict[str, Any]] = field(default_factory=dict)  # user -> the Home tab published for them
    modals: dict[str, dict[str, Any]] = field(default_factory=dict)  # view id -> {"user", "view"} opened
    ts_sequence: int = 0  # the last message number handed out

    @classmethod
    def demo(cls, team_id: str = "T0DEMO", team_name: str = "Demo Company") -> Workspace:
        """An admin, a member, #finance and #general (another team: the same people and channels)."""
        domain = team_name.lower().replace(" ", "-")
        workspace = cls(team_id=team_id, team_name=team_name, domain=domain)
        for user in (
            User("U0DEMO", "ada", "Ada Admin", is_admin=True, is_owner=True),
            User("U0VIEWER", "victor", "Victor Viewer"),
        ):
            workspace.users[user.id] = user
        everyone = set(workspace.users)
        workspace.channels["C0FINANCE"] = Channel("C0FINANCE", "finance", members=set(everyone))
        workspace.channels["C0GENERAL"] = Channel("C0GENERAL", "general", members=set(everyone))
        return workspace

    def next_ts(self) -> str:
        self.ts_sequence += 1
        return f"{int(time.time())}.{self.ts_sequence:06d}"

    def find_channel(self, ref: str) -> Channel | None:
        """By id, by name, or by '#name', as chat.postMessage accepts; a user id opens the app's DM."""
        if ref in self.channels:
            return self.channels[ref]
        if ref in self.users:
            dm = Channel(f"D{ref}", f"dm-{self.users[ref].name}", is_private=True, members={ref, self.bot_user_id})
            return self.channels.setdefault(dm.id, dm)
        name = ref.lstrip("#")
        return next((c for c in self.channels.values() if c.name == name), None)

    def add_channel(self, name: str, *, is_private: bool, members: set[str]) -> Channel:
        channel = Channel(
            f"C0{name.upper().replace('-', '')[:12]}{len(self.channels)}", name, is_private, members=members
        )
        self.channels[channel.id] = channel
        return channel

    def find_message(self, channel: Channel, ts: str) -> dict[str, Any] | None:
        return next((m for m in channel.messages if m["ts"] == ts), None)
