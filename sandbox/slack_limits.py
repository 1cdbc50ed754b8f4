"""Slack's documented message limits, checked as Slack checks them: a breach is refused, not trimmed.

Block shapes and lengths come from slack_sdk's block models (`validate_json`); what they leave out
(field and context text lengths, the message's `text`) is checked here.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block

MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100  # a Home tab or modal
MAX_TEXT = 40_000  # the top-level `text`; Slack documents truncation beyond it, we refuse (stricter)
MAX_FIELD_TEXT = 2_000
MAX_TEXT_OBJECT = 3_000


def message_problem(text: str, blocks: list[Any]) -> str | None:
    """The error Slack would answer for this message content, or None when it is within the limits."""
    if len(text) > MAX_TEXT:
        return "msg_too_long"
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    for block in blocks:
        if not isinstance(block, dict) or _block_problem(block):
            return "invalid_blocks"
    return None


def view_problem(view: Any) -> str | None:
    """The error Slack would answer for a Home tab view (`views.publish`), or None."""
    if not isinstance(view, dict) or view.get("type") != "home" or not _view_blocks_ok(view):
        return "invalid_arguments"
    return None


def _view_blocks_ok(view: dict[str, Any]) -> bool:
    """At most 100 blocks, each one Slack would accept (a Home tab's or a modal's)."""
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or len(blocks) > MAX_VIEW_BLOCKS:
        return False
    return all(isinstance(block, dict) and not _block_problem(block) for block in blocks)


MODAL_TITLE = 24  # the title, submit and close labels of a modal


def modal_problem(view: Any) -> str | None:
    """The error Slack would answer for a modal (`views.open`), or None: a title, at most 100 valid blocks,
    a submit button when it asks for input."""
    if not isinstance(view, dict) or view.get("type") != "modal":
        return "invalid_arguments"
    labels = [view.get(k) for k in ("title", "submit", "close") if k in view]
    if not isinstance(view.get("title"), dict) or any(
        not isinstance(label, dict)
        or label.get("type") != "plain_text"
        or len(str(label.get("text", ""))) > MODAL_TITLE
        for label in labels
    ):
        return "invalid_arguments"
    if not _view_blocks_ok(view):
        return "invalid_arguments"
    if any(block.get("type") == "input" for block in view["blocks"]) and "submit" not in view:
        return "invalid_arguments"
    return None


def _block_problem(block: dict[str, Any]) -> bool:
    parsed = Block.parse(block)
    if parsed is None or type(parsed) is Block:  # a type slack_sdk does not know
        return True
    try:
        _validate_all(parsed)
    except SlackObjectFormationError:
        return True
    texts = [f.get("text", "") for f in block.get("fields") or [] if isinstance(f, dict)]
    if any(len(t) > MAX_FIELD_TEXT for t in texts):
        return True
    elements = block.get("elements") or [] if block.get("type") == "context" else []
    return any(isinstance(e, dict) and len(e.get("text") or "") > MAX_TEXT_OBJECT for e in elements)


def _validate_all(value: Any) -> None:
    """validate_json checks one object; elements, accessories, text and confirm objects are checked too."""
    if isinstance(value, list):
        for item in value:
            _validate_all(item)
    elif isinstance(value, JsonObject):
        value.validate_json()
        for name in value.attributes:
            _validate_all(getattr(value, name, None))
