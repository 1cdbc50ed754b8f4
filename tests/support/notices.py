"""Every message kind built from chosen outside text, and the text Slack parses out of a rendered message."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime

ID = "9b4b1a4e-8f5e-4d0c-9c57-1f2e3d4c5b6a"  # Ponto's ids are UUIDs (and button values hold them)


def sample(
    cls: type, *, outside: Callable[[int], str], ours: Mapping[str, str], many: int = 1, number: int = 123456
) -> object:
    """A notice (or view) whose outside-text fields are `outside(i)`, lists and maps `many` long; fields
    named in `ours` hold the app's own values, `*id` fields a UUID."""

    def value(name: str, hint: object) -> object:
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            return value(name, next(a for a in typing.get_args(hint) if a is not type(None)))
        if origin is list:
            (inner,) = typing.get_args(hint)
            return [outside(i) if inner is str else value(name, inner) for i in range(many)]
        if origin is dict:
            return {outside(i): value(name, typing.get_args(hint)[1]) for i in range(many)}
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            return build(hint)
        if hint is str:
            return ours.get(name) or (ID if name.endswith("id") else outside(0))
        samples = {int: number, bool: False, date: date(2026, 3, 31), datetime: datetime(2026, 3, 31, tzinfo=UTC)}
        return samples[hint]  # type: ignore[index]

    def build(kind: type) -> object:
        hints = typing.get_type_hints(kind)
        return kind(**{f.name: value(f.name, hints[f.name]) for f in dataclasses.fields(kind) if f.init})

    return build(cls)


def mrkdwn_texts(text: str, blocks: list[dict]) -> list[str]:
    """The notification text and every mrkdwn string in the blocks (plain_text is never parsed by Slack)."""
    found = [text]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return found
