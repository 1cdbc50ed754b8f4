"""Text from the bank, an invoice or Ponto is escaped in every message kind; the app's own mentions are not."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import UTC, date, datetime

import pytest

from bot.messages import render
from worker import notices

HOSTILE = "Mallory <!channel> <https://x.example|click> & <@UEVIL> <#C0OTHER>"
ADMIN = "U0ADMIN"
FIELDS = {  # fields that hold our own values, not outside text
    "currency": "EUR",
    "kind": "sales",
    "how": "chosen",
    "by": ADMIN,
    "connected_by": ADMIN,
    "undone_by": ADMIN,
    "reason": "is_archived",
}
MENTIONS = {"AccountsOverview", "Disconnected", "InvoicePaid"}  # kinds that name a person


def _value(name: str, hint: object) -> object:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return _value(name, next(a for a in typing.get_args(hint) if a is not type(None)))
    if origin is list:
        (inner,) = typing.get_args(hint)
        return [_value(name, inner)] if inner is not str or name not in ("how",) else [HOSTILE]
    if origin is dict:
        return {HOSTILE: _value(name, typing.get_args(hint)[1])}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint)
    if hint is str:
        return FIELDS.get(name, HOSTILE)
    return {int: 123456, bool: False, date: date(2026, 3, 31), datetime: datetime(2026, 3, 31, tzinfo=UTC)}[hint]  # type: ignore[index]


def _build(cls: type) -> object:
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: _value(f.name, hints[f.name]) for f in dataclasses.fields(cls) if f.init})


def _rendered_texts(message: tuple[str, list[dict]]) -> list[str]:
    """The notification text and every mrkdwn string in the blocks (plain_text is never parsed by Slack)."""
    text, blocks = message
    found = [text]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for key, value in node.items():
                if key not in ("confirm",):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return found


@pytest.mark.parametrize("kind", sorted(notices.KINDS))
def test_outside_text_is_escaped_and_our_mentions_are_not(kind: str) -> None:
    cls = notices.KINDS[kind]
    notice = _build(cls)
    if isinstance(notice, notices.MatchQuestion):  # also the answered form, which names who chose
        variants = [
            notice,
            dataclasses.replace(notice, closing=notices.Closing("chosen", by=ADMIN, invoices=[HOSTILE])),
        ]
    elif isinstance(notice, notices.InvoicePaid):
        variants = [notice, dataclasses.replace(notice, undone_by=None, undone_at=None)]
    else:
        variants = [notice]
    for variant in variants:
        texts = _rendered_texts(render(variant, "en_BE"))  # type: ignore[arg-type]
        everything = json.dumps(texts)
        for live in ("<!channel>", "<https://x.example|click>", "<@UEVIL>", "<#C0OTHER>"):
            assert live not in everything, (kind, live)
        assert "&lt;!channel&gt;" in everything or kind in ("import_summary", "balance_summary"), kind
        assert " & " not in everything, kind  # the ampersand of outside text arrives as &amp;
        if cls.__name__ in MENTIONS or getattr(variant, "closing", None) is not None:
            assert f"<@{ADMIN}>" in everything, kind  # the app's own mention stays a mention
        assert "&lt;@U0ADMIN&gt;" not in everything, kind
