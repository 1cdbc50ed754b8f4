"""Property test: random and hostile text from outside, through every message kind, stays inert and fits.

Strangers write bank lines, invoice fields and organization names. Whatever they write, no `<!`, `<@`, `<#`
or `<http` of theirs reaches Slack live, no invisible control survives, and every message fits Slack's
limits (checked as the Slack stand-in checks it).
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings, strategies as st

from bot.formatting import INVISIBLE, MARKUP, escape_mrkdwn
from bot.messages import render
from sandbox.slack_limits import message_problem
from tests.support.notices import mrkdwn_texts
from worker import notices

ADMIN = "U0ADMIN"
OURS = {"currency": "EUR", "kind": "sales", "how": "chosen", "by": ADMIN, "connected_by": ADMIN, "undone_by": ADMIN}
HOSTILE = [
    "<!channel>",
    "<!here|here>",
    "<@U0EVIL>",
    "<#C0OTHER|general>",
    "<https://evil.example|Click to confirm payment>",
    "*URGENT*",
    "_pay now_",
    "~0~",
    "```rm -rf```",
    "\u202egnp.exe",
    "\u2066isolate\u2069",
    "&lt;!channel&gt;",
    "&amp;",
    "\x00\x1b[31m",
    "a\nb\r\nc",
    "x" * 3000,
]
# The app's own tokens: its mentions of the person who acted, and Slack's date token.
OWN_TOKENS = re.compile(r"<@U0ADMIN>|<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>]*>")
outside_text = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40)), max_size=6).map("".join),
)


def _strategy(name: str, hint: object) -> st.SearchStrategy[object]:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = next(a for a in typing.get_args(hint) if a is not type(None))
        return st.one_of(st.none(), _strategy(name, inner))
    if origin is list:
        return st.lists(_strategy(name, typing.get_args(hint)[0]), max_size=4)
    if origin is dict:
        return st.dictionaries(outside_text, _strategy(name, typing.get_args(hint)[1]), max_size=3)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _built(hint)
    if hint is str and name.endswith("id"):
        return st.uuids().map(str)
    if hint is str and name == "amount_exact":
        return st.decimals(allow_nan=False, allow_infinity=False, places=3, max_value=10**9, min_value=-(10**9)).map(
            str
        )
    if hint is str:
        return st.just(OURS[name]) if name in OURS else outside_text
    if hint is int:
        return st.integers(min_value=-(10**15), max_value=10**15)
    if hint is bool:
        return st.booleans()
    if hint is date:
        return st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))
    bounds = datetime(2000, 1, 1), datetime(2100, 1, 1)  # noqa: DTZ001 (hypothesis takes naive bounds)
    return st.datetimes(*bounds, timezones=st.just(UTC))


def _built(cls: type) -> st.SearchStrategy[object]:
    hints = typing.get_type_hints(cls)
    fields = {f.name: _strategy(f.name, hints[f.name]) for f in dataclasses.fields(cls) if f.init}
    return st.fixed_dictionaries(fields).map(lambda values: cls(**values))


@pytest.mark.parametrize("kind", sorted(notices.KINDS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_no_outside_text_is_live_and_every_message_fits(kind: str, data: st.DataObject) -> None:
    notice = data.draw(_built(notices.KINDS[kind]))
    locale = data.draw(st.sampled_from(["en_BE", "nl_BE", "fr_BE"]))  # the longest language must fit too
    text, blocks = render(notice, locale)  # type: ignore[arg-type]
    assert message_problem(text, blocks) is None
    for shown in mrkdwn_texts(text, blocks):
        rest = OWN_TOKENS.sub("", shown)
        assert "<" not in rest and ">" not in rest, (kind, shown[:300])
        assert not INVISIBLE.search(shown), (kind, shown[:300])


@given(outside_text)
def test_escaped_outside_text_has_no_markup_controls_or_newlines(text: str) -> None:
    shown = escape_mrkdwn(text)
    assert not MARKUP.search(shown) and not INVISIBLE.search(shown)
    assert "\n" not in shown and "<" not in shown and len(shown) <= 300 * 5  # &amp; is five characters
