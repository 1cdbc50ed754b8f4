"""Text from the bank, an invoice or Ponto is escaped in every message kind; the app's own mentions are not."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot.messages import render
from tests.support.notices import mrkdwn_texts, sample
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


def _build(cls: type) -> object:
    return sample(cls, outside=lambda i: HOSTILE, ours=FIELDS)


def _rendered_texts(message: tuple[str, list[dict]]) -> list[str]:
    return mrkdwn_texts(*message)


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
