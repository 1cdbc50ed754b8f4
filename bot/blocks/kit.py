"""Block Kit building blocks shared by every message: the Message type, sections, buttons."""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]
Message = tuple[str, list[Block]]  # the notification text and the blocks


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text} for text in texts]}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def confirm(title: str, text: str, yes: str, no: str) -> dict[str, Any]:
    """The dialog Slack shows before a button acts."""
    return {"title": plain(title), "text": plain(text[:300]), "confirm": plain(yes), "deny": plain(no)}


def button(action_id: str, label: str, value: str, *, style: str | None = None, **extra: Any) -> Block:
    element: Block = {"type": "button", "action_id": action_id, "value": value, "text": plain(label)}
    if style:
        element["style"] = style
    return {**element, **extra}


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def text_message(text: str) -> Message:
    """A private answer of one paragraph."""
    return text, [section(text)]
