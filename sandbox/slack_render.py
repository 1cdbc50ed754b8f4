"""Block Kit to HTML for the stand-in's channel page (the subset the app uses)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

_CONTROL = re.compile(r"<([^<>|]+?)(?:\|([^<>]*))?>")  # Slack's own sequences: links, mentions, !channel


def _shown(text: str) -> str:
    """Text between control sequences: Slack's three entities show as the characters, once HTML-escaped."""
    return escape(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"), quote=False)


def mrkdwn(text: str, users: dict[str, str], zone: str = "UTC") -> str:
    """Slack mrkdwn to HTML: links, mentions, *bold*, _italic_, `code`, ~strike~, newlines.

    The text is read as Slack reads what it was sent: `<...>` are control sequences, `&lt;` `&gt;` `&amp;`
    are the characters themselves (so escaped outside text shows as typed, never double-escaped).
    """

    def link(match: re.Match[str]) -> str:
        target, label = match[1], _shown(match[2]) if match[2] else None
        if target.startswith("@"):
            return f"<b>@{escape(users.get(target[1:], target[1:]))}</b>"
        if target.startswith("#"):
            return f"<b>#{label or escape(users.get(target[1:], target[1:]))}</b>"  # as Slack names it
        if target.startswith("!date^"):  # in the reader's own time zone, as Slack shows it
            shown = _local(target.split("^")[1], zone)
            return f"<time>{shown}</time>" if shown else f"<i>{label or escape(target)}</i>"
        if target.startswith("!"):
            return f"<i>{label or escape(target)}</i>"
        return f"<a href='{escape(target, quote=True)}' target='_blank'>{label or escape(target)}</a>"

    parts, position = [], 0
    for match in _CONTROL.finditer(text):
        parts += [_shown(text[position : match.start()]), link(match)]
        position = match.end()
    html = "".join([*parts, _shown(text[position:])])
    html = re.sub(r"(?<![\w*])\*(?!\s)([^*\n]+?)\*(?![\w*])", r"<b>\1</b>", html)
    html = re.sub(r"(?<![\w_'])_(?!\s)([^_\n]+?)_(?![\w_])", r"<i>\1</i>", html)
    html = re.sub(r"`([^`\n]+)`", r"<code>\1</code>", html)
    html = re.sub(r"(?<![\w~])~(?!\s)([^~\n]+?)~(?![\w~])", r"<s>\1</s>", html)
    html = re.sub(r":([a-z0-9_+-]+):", lambda m: EMOJI.get(m[1], m[0]), html)
    return html.replace("\n", "<br>")


# The emoji codes the app writes, as Slack's clients draw them (an unknown code stays as typed, as in Slack).
EMOJI = {
    "warning": "\u26a0\ufe0f",
    "red_circle": "\U0001f534",
    "large_green_circle": "\U0001f7e2",
    "white_check_mark": "\u2705",
    "ballot_box_with_check": "\u2611\ufe0f",
    "pause_button": "\u23f8\ufe0f",
    "question": "\u2753",
    "no_entry": "\u26d4",
    "moneybag": "\U0001f4b0",
    "money_with_wings": "\U0001f4b8",
    "leftwards_arrow_with_hook": "\u21a9\ufe0f",
    "inbox_tray": "\U0001f4e5",
    "heavy_plus_sign": "\u2795",
    "heavy_minus_sign": "\u2796",
    "electric_plug": "\U0001f50c",
    "arrows_counterclockwise": "\U0001f504",
    "hourglass_flowing_sand": "\u23f3",
    "hourglass": "\u231b",
    "pencil": "\U0001f4dd",
    "bank": "\U0001f3e6",
    "x": "\u274c",
    "no_entry_sign": "\U0001f6ab",
}


def _text(obj: dict[str, Any] | None, users: dict[str, str], zone: str = "UTC") -> str:
    if not obj:
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn(str(obj.get("text", "")), users, zone)
    return escape(str(obj.get("text", "")))


def _button(element: dict[str, Any], action_form: str, users: dict[str, str], block_id: str = "") -> str:
    label = _text(element.get("text"), users)
    style = escape(element.get("style", ""), quote=True)
    if element.get("url"):
        url = escape(element["url"], quote=True)
        return f"<a class='btn {style}' href='{url}' target='_blank' rel='noopener'>{label}</a>"
    confirm = element.get("confirm")
    onsubmit = ""
    if confirm:
        question = str((confirm.get("text") or {}).get("text", "Are you sure?"))
        onsubmit = f' onsubmit="return confirm({escape(json.dumps(question), quote=True)})"'  # a JS string, then HTML
    fields = {
        "action_id": element.get("action_id", ""),
        "value": element.get("value", ""),
        "block_id": block_id,
    }
    hidden = "".join(
        f"<input type='hidden' name='{k}' value='{escape(str(v), quote=True)}'>" for k, v in fields.items()
    )
    return (
        f"<form class='inline' method='post' action='{action_form}'{onsubmit}>{hidden}"
        f"<button class='{style}' type='submit'>{label}</button></form>"
    )


def block_html(block: dict[str, Any], action_form: str, users: dict[str, str], zone: str = "UTC") -> str:
    """One block; unknown types are shown as such rather than hidden."""
    kind = block.get("type")
    if kind == "header":
        return f"<h3>{_text(block.get('text'), users, zone)}</h3>"
    if kind == "divider":
        return "<hr>"
    if kind == "context":
        parts = [_text(e, users, zone) for e in block.get("elements", []) if e.get("type") != "image"]
        return f"<div class='context'>{' · '.join(parts)}</div>"
    if kind == "actions":
        return (
            "<div class='actions'>"
            + " ".join(
                _button(e, action_form, users, block.get("block_id", ""))
                for e in block.get("elements", [])
                if e.get("type") == "button"
            )
            + "</div>"
        )
    if kind == "section":
        html = f"<div class='section'><div>{_text(block.get('text'), users, zone)}</div>"
        if block.get("fields"):
            html += (
                "<div class='fields'>"
                + "".join(f"<div>{_text(f, users, zone)}</div>" for f in block["fields"])
                + "</div>"
            )
        accessory = block.get("accessory")
        if accessory and accessory.get("type") == "button":
            html += f"<div class='accessory'>{_button(accessory, action_form, users, block.get('block_id', ''))}</div>"
        return html + "</div>"
    return f"<div class='muted'>[{escape(str(kind))} block]</div>"


def _when(ts: str, zone: str = "UTC") -> str:
    """A message's time as a person reads it (Slack's ts is seconds since 1970, with a counter after the dot)."""
    try:
        return datetime.fromtimestamp(float(ts), ZoneInfo(zone)).strftime("%d %b %H:%M:%S %Z")
    except (ValueError, OverflowError, OSError):
        return ts


def _local(seconds: str, zone: str) -> str:
    """`<!date^…>`'s moment in the reader's zone, or "" when it is not a number (then the fallback shows)."""
    try:
        return datetime.fromtimestamp(int(seconds), ZoneInfo(zone)).strftime("%d %b %Y %H:%M %Z")
    except (ValueError, OverflowError, OSError):
        return ""


def message_anchor(ts: str) -> str:
    """The page anchor of a message, as Slack's permalinks end: p + the timestamp's digits."""
    return "p" + "".join(ch for ch in ts if ch.isdigit())


def message_html(message: dict[str, Any], action_form: str, users: dict[str, str], who: str, zone: str = "UTC") -> str:
    blocks = message.get("blocks") or []
    content = "".join(block_html(b, action_form, users, zone) for b in blocks)
    content = content or mrkdwn(message.get("text", ""), users, zone)
    header = f"<div class='who'>{escape(who)} <span class='muted'>{_when(str(message['ts']), zone)}</span></div>"
    return f"<div class='msg' id='{message_anchor(str(message['ts']))}'>{header}{content}</div>"


STYLE = """
.modal{border:2px solid #1264a3;border-radius:8px;padding:.8rem 1.2rem;margin:1rem 0;background:#fff;
box-shadow:0 4px 16px rgba(0,0,0,.15)}.modal h2{font-size:1.15rem;margin:.2rem 0 .6rem}
.field{margin:.6rem 0}.field input,.field select{font-size:1rem;padding:.3rem;margin-top:.2rem}
.field-error{color:#e01e5a;font-size:.9rem;margin-top:.2rem}
.msg{border-top:1px solid #eee;padding:.6rem 0}.who{font-weight:600;margin-bottom:.2rem}
.ephemeral{background:#f8f8fa;border-left:3px solid #1264a3;padding-left:.6rem}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:.3rem 1rem;margin:.3rem 0}
.context{color:#616061;font-size:.85rem;margin:.3rem 0}.actions{margin:.4rem 0}
form.inline{display:inline}.btn{display:inline-block;padding:.4rem .8rem;border:1px solid #bbb;
border-radius:4px;text-decoration:none;color:#1d1c1d}.btn.primary{background:#007a5a;color:#fff}
.composer input[type=text]{width:70%;font-size:1rem;padding:.4rem}
"""
