"""Notices survive the outbox: every kind round-trips through its JSON, old rows still read, every kind renders."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import UTC, date, datetime

import pytest

from bot.messages import RENDERERS, UnknownMessageKind, render, render_row
from worker import notices
from worker.views import BankLineView, CurrencyFlow


def _sample(hint: object) -> object:
    """A value of every field's type, nested dataclasses and collections included."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return _sample(next(a for a in typing.get_args(hint) if a is not type(None)))
    if origin is list:
        return [_sample(typing.get_args(hint)[0])]
    if origin is dict:
        return {"EUR": _sample(typing.get_args(hint)[1])}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _instance(hint)
    return {
        str: "x <&> *y*",
        int: 12345,
        bool: True,
        date: date(2026, 3, 31),
        datetime: datetime(2026, 3, 31, 8, 30, tzinfo=UTC),
    }[hint]  # type: ignore[index]


def _instance(cls: type) -> object:
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: _sample(hints[f.name]) for f in dataclasses.fields(cls) if f.init})


@pytest.mark.parametrize("kind", sorted(notices.KINDS))
def test_every_kind_round_trips_through_the_outbox_json(kind: str) -> None:
    notice = _instance(notices.KINDS[kind])
    stored = json.loads(json.dumps(notices.encode(notice)))  # what the outbox's JSON column gives back
    assert notices.decode(kind, stored) == notice


@pytest.mark.parametrize("kind", sorted(notices.KINDS))
def test_every_kind_renders_to_text_and_blocks(kind: str) -> None:
    text, blocks = render(_instance(notices.KINDS[kind]), "en_BE")  # type: ignore[arg-type]
    assert text and blocks


def test_every_kind_has_a_renderer() -> None:
    assert set(RENDERERS) == set(notices.KINDS.values())


def test_rows_stored_before_the_typed_notices_still_read() -> None:
    digest = notices.decode(
        "transactions_digest",
        {
            "account_name": "Current",
            "account_iban": "BE68539007547034",
            "count": 1,
            "transactions": [{"id": "t1", "amount": -500, "currency": "EUR", "execution_date": "2026-03-31"}],
            "totals": {"EUR": {"in": 0, "out": -500}},
            "edit_of": 7,  # outbox bookkeeping, not a field of the notice
        },
    )
    assert isinstance(digest, notices.TransactionsDigest)
    assert digest.totals == {"EUR": CurrencyFlow(incoming=0, outgoing=-500)}
    assert digest.transactions == [BankLineView("t1", -500, "EUR", execution_date=date(2026, 3, 31))]


def test_an_unknown_or_malformed_row_is_refused_by_name() -> None:
    with pytest.raises(UnknownMessageKind, match="'from_a_newer_version'"):
        render_row("from_a_newer_version", {}, "en_BE")
    with pytest.raises(UnknownMessageKind, match="'invoice_paid': "):
        render_row("invoice_paid", {"match_id": 1}, "en_BE")  # required fields missing
