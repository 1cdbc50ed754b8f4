"""Every message kind, built from the worst content strangers and big companies send, stays inside Slack's limits.

Lists of 60 (accounts, invoices in one transfer), 5,000-character bank text carrying `<!channel>`,
amounts in the trillions: the message is checked as the Slack stand-in (and Slack) checks it.
"""

from __future__ import annotations

import pytest

from bot.messages import render
from sandbox.slack_limits import message_problem
from tests.support.notices import sample
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


def _build(cls: type) -> object:
    return sample(
        cls, outside=lambda i: LONG if i == 0 else f"{LONG[:200]} {i}", ours=FIELDS, many=MANY, number=10**15 - 1
    )


@pytest.mark.parametrize("kind", sorted(notices.KINDS))
def test_the_worst_case_of_every_kind_is_within_slacks_limits(kind: str) -> None:
    notice = _build(notices.KINDS[kind])
    text, blocks = render(notice, "en_BE")  # type: ignore[arg-type]
    assert message_problem(text, blocks) is None, kind
    assert len(text) <= 4_000, kind  # the notification text is what phones show: a summary, not the whole list
