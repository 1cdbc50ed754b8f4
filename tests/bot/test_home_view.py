"""The Home tab's view stays inside Slack's limits and shows outside text as text, whatever it holds."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from bot.blocks.home import home_view
from sandbox.slack_limits import view_problem
from worker.home import Home, Ledger, PaidInvoice
from worker.notices import MatchQuestion
from worker.status import ConnectionView, Status
from worker.views import AccountView, BankLineView, InvoiceView

HOSTILE = "Mallory <!channel> *bold* & <https://evil.example|pay here>"
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def _home(questions: int, more: int = 0) -> Home:
    status = Status(
        ConnectionView(HOSTILE * 3, "active", "U0DEMO", NOW),
        accounts=[AccountView(f"BE{n:02d}737012345618", HOSTILE, "EUR", 123456, 120000) for n in range(30)],
        last_sync=NOW,
    )
    line = BankLineView(
        "tx", 50000, "EUR", counterpart=HOSTILE, remittance=HOSTILE * 5, execution_date=date(2026, 11, 28)
    )
    candidates = [InvoiceView(f"INV-{n}", HOSTILE, 50000, "EUR", 50000) for n in range(3)]
    asked = [
        (MatchQuestion(match_id=n, line=line, reasons=[HOSTILE], candidates=candidates), None) for n in range(questions)
    ]
    paid = [PaidInvoice(f"INV-P{n}", HOSTILE, 1000, "EUR", NOW, "auto") for n in range(10)]
    return Home(
        status, [Ledger("sales", 3, 1, {"EUR": 150000}), Ledger("purchase", 1, 0, {"EUR": 8000})], asked, more, paid
    )


def test_a_full_home_tab_is_within_slacks_limits() -> None:
    view = home_view(
        _home(questions=10, more=25), "en_BE", admin=True, links={3: "https://slack.example/archives/C/p1"}
    )
    assert view_problem(view) is None and len(view["blocks"]) <= 100
    shown = _mrkdwn(view)  # plain_text (headers, buttons) is never parsed for mentions or links
    assert "<!channel>" not in shown and "evil.example" not in shown.replace("&lt;https://evil.example", "")
    assert shown.count("&lt;!channel&gt;") > 10  # the stranger's text is there, escaped, wherever mrkdwn shows it
    assert "…and 25 older" in shown and "See it in the channel" in shown


def _mrkdwn(value: object) -> str:
    if isinstance(value, dict):
        own = value.get("text") if value.get("type") == "mrkdwn" else ""
        return str(own or "") + "".join(_mrkdwn(v) for v in value.values())
    if isinstance(value, list):
        return "".join(_mrkdwn(v) for v in value)
    return ""


def test_a_non_admin_is_not_offered_what_only_admins_may_do() -> None:
    broken = _home(questions=0)
    broken = Home(Status(ConnectionView("Demo", "broken", "U0DEMO", NOW)), [], [], 0, [])
    admin = [
        e["action_id"]
        for b in home_view(broken, "en_BE", admin=True, links={})["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    viewer = [
        e["action_id"]
        for b in home_view(broken, "en_BE", admin=False, links={})["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert admin == ["reconnect", "home_sync"] and viewer == ["home_sync"]


def test_admins_can_start_paying_supplier_invoices_from_the_tab() -> None:
    def buttons(home: Home, admin: bool) -> list[str]:
        view = home_view(home, "en_BE", admin=admin, links={})
        return [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]

    with_payables = _home(questions=0)
    assert "pay_bulk_open" in buttons(with_payables, admin=True)
    assert "pay_bulk_open" not in buttons(with_payables, admin=False)
    nothing_to_pay = dataclasses.replace(with_payables, ledgers=[Ledger("sales", 3, 1, {"EUR": 150000})])
    assert "pay_bulk_open" not in buttons(nothing_to_pay, admin=True)
