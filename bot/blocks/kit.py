"""Block Kit building blocks shared by every message: the Message type, sections, buttons."""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]
Message = tuple[str, list[Block]]  # the notification text and the blocks

# Slack's documented limits (Block Kit reference); the Slack stand-in refuses a message beyond them.
SECTION_TEXT = 3_000
FIELD_TEXT = 2_000
HEADER_TEXT = 150
BUTTON_TEXT = 75
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30
ACTION_ELEMENTS = 25
MAX_BLOCKS = 50


def fit_lines(text: str, limit: int = SECTION_TEXT) -> str:
    """Whole lines up to `limit` characters; what does not fit is counted: "…and 12 more"."""
    if len(text) <= limit:
        return text
    lines, kept, size = text.split("\n"), [], 0
    for line in lines:
        if size + len(line) + 1 > limit - 40:
            break
        kept.append(line)
        size += len(line) + 1
    if not kept:  # one line longer than the limit: cut it
        return text[: limit - 1] + "…"
    return "\n".join(kept) + f"\n…and {len(lines) - len(kept)} more"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit_lines(text)}}


def fields(*texts: str) -> Block:
    """Up to ten short texts side by side."""
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": fit_lines(t, FIELD_TEXT)} for t in texts[:10]]}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": fit_lines(t)} for t in texts[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def plain(text: str, limit: int = SECTION_TEXT) -> dict[str, str]:
    return {"type": "plain_text", "text": text if len(text) <= limit else text[: limit - 1] + "…"}


def confirm(title: str, text: str, yes: str, no: str) -> dict[str, Any]:
    """The dialog Slack shows before a button acts."""
    return {
        "title": plain(title, CONFIRM_TITLE),
        "text": plain(text, CONFIRM_TEXT),
        "confirm": plain(yes, CONFIRM_BUTTON),
        "deny": plain(no, CONFIRM_BUTTON),
    }


def button(action_id: str, label: str, value: str, *, style: str | None = None, **extra: Any) -> Block:
    element: Block = {"type": "button", "action_id": action_id, "value": value, "text": plain(label, BUTTON_TEXT)}
    if style:
        element["style"] = style
    return {**element, **extra}


def actions(*elements: Block, block_id: str | None = None) -> Block:
    """At most 25 elements, Slack's limit: callers with more choices must offer fewer."""
    if len(elements) > ACTION_ELEMENTS:
        raise ValueError(f"{len(elements)} buttons in one actions block; Slack allows {ACTION_ELEMENTS}")
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def text_message(text: str) -> Message:
    """A private answer of one paragraph."""
    return text, [section(text)]


def within_limits(message: Message) -> Message:
    """The last guard before Slack: a short notification text and at most 50 blocks, the cut counted."""
    text, blocks = message
    text = fit_lines(text, SECTION_TEXT)
    if len(blocks) > MAX_BLOCKS:
        hidden = len(blocks) - (MAX_BLOCKS - 1)
        blocks = [*blocks[: MAX_BLOCKS - 1], context(f"…and {hidden} more not shown here")]
    return text, blocks
