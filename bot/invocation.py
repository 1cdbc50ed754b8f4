"""Who asked what, where: a slash command or a button click, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Invocation:
    team_id: str
    user_id: str
    channel_id: str
    text: str
    response_url: str | None
    trigger_id: str | None = None  # what lets us open a form (modal), once, within 3 seconds

    @property
    def args(self) -> str:
        return self.text.partition(" ")[2].strip()

    @classmethod
    def from_action(cls, body: dict[str, Any]) -> Invocation:
        return cls(
            body["team"]["id"],
            body["user"]["id"],
            (body.get("channel") or {}).get("id", ""),
            "",
            body.get("response_url"),
            body.get("trigger_id"),
        )

    @classmethod
    def from_command(cls, command: dict[str, Any]) -> Invocation:
        return cls(
            team_id=command["team_id"],
            user_id=command["user_id"],
            channel_id=command["channel_id"],
            text=(command.get("text") or "").strip(),
            response_url=command.get("response_url"),
            trigger_id=command.get("trigger_id"),
        )
