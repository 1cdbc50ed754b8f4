"""Every message kind, built from the worst content strangers and big companies send, stays inside Slack's limits.

Lists of 60 (accounts, invoices in one transfer), 5,000-character bank text carrying `<!channel>`,
amounts in the trillions: the message is checked as the Slack stand-in (and Slack) checks it.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import UTC, date, datetime

import pytest

from bot.messages import render
from sandbox.slack_limits import message_problem
from worker import notices

LONG = ("Remittance <!channel> & <@UEVIL> " * 160)[:5000]
MANY = 60
FIELDS = {
    "currency": "EUR",
    "kind": "sales",
    "how": "chosen",
    "by": "U0ADMIN",
    "connected_by": "U0ADMIN",
    "undone_by": "U0ADMIN",
    "reason": "is_archived",
    "amount_exact": "-123456789012345678.123456789012",
}


def _value(name: str, hint: object) -> object:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return _value(name, next(a for a in typing.get_args(hint) if a is not type(None)))
    if origin is list:
        (inner,) = typing.get_args(hint)
        return [_value(name, inner) if inner is not str else f"{LONG[:200]} {i}" for i in range(MANY)]
    if origin is dict:
        return {f"{LONG[:100]} {i}": _value(name, typing.get_args(hint)[1]) for i in range(MANY)}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint)
    if hint is str and name.endswith("id"):
        return "9b4b1a4e-8f5e-4d0c-9c57-1f2e3d4c5b6a"  # Ponto's ids are UUIDs (and button values hold them)
    if hint is str:
        return FIELDS.get(name, LONG)
    return {
        int: 999_999_999_999_999,
        bool: False,
        date: date(2026, 3, 31),
        datetime: datetime(2026, 3, 31, tzinfo=UTC),
    }[
        hint  # type: ignore[index]
    ]


def _build(cls: type) -> object:
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: _value(f.name, hints[f.name]) for f in dataclasses.fields(cls) if f.init})


@pytest.mark.parametrize("kind", sorted(notices.KINDS))
def test_the_worst_case_of_every_kind_is_within_slacks_limits(kind: str) -> None:
    notice = _build(notices.KINDS[kind])
    text, blocks = render(notice, "en_BE")  # type: ignore[arg-type]
    assert message_problem(text, blocks) is None, kind
    assert len(text) <= 4_000, kind  # the notification text is what phones show: a summary, not the whole list
