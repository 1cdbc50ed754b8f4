"""Every message the bot builds passes Slack's own Block Kit validation and reads right."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from slack_sdk.models.blocks import Block

from bot.blocks.connect import consent_link
from bot.blocks.overview import accounts_overview, disconnected
from bot.blocks.status import help_message, status_message
from bot.formatting import iban, money
from worker.notices import decode
from worker.status import ConnectionView, Status
from worker.views import AccountView


def assert_valid(blocks: list[dict]) -> None:
    assert 0 < len(blocks) <= 50
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()


def _account(n: int, currency: str = "EUR") -> dict:
    return {
        "iban": "BE68539007547034",
        "name": f"Account {n}",
        "currency": currency,
        "current_balance": 1234567,
        "available_balance": -5,
    }


def test_overview_lists_each_account_with_formatted_iban_and_balances() -> None:
    text, blocks = accounts_overview(
        decode(
            "accounts_overview",
            {"organization_name": "Acme <BV>", "connected_by": "U1", "accounts": [_account(1), _account(2, "USD")]},
        ),
        "en_BE",
    )
    assert_valid(blocks)
    body = "\n".join(b.get("text", {}).get("text", "") for b in blocks)
    assert "BE68 5390 0754 7034" in body
    assert "12.345,67\xa0€" in body and "-0,05\xa0€" in body and "12.345,67\xa0US$" in body
    assert "Acme &lt;BV&gt;" in body  # mrkdwn control characters escaped
    assert text.startswith("Ponto connected: 2 accounts of Acme &lt;BV&gt;")  # the notification text is escaped too


def test_overview_of_many_accounts_stays_within_slack_limits() -> None:
    text, blocks = accounts_overview(
        decode("accounts_overview", {"organization_name": "Big", "accounts": [_account(n) for n in range(200)]}),
        "en_BE",
    )
    assert_valid(blocks)
    assert sum(b["text"]["text"].count("Account ") for b in blocks if b["type"] == "section") == 200


def test_consent_link_is_a_link_button() -> None:
    text, blocks = consent_link("https://consent.example/?state=s", reconnect=True)
    assert_valid(blocks)
    assert blocks[0]["accessory"]["url"] == "https://consent.example/?state=s"
    assert "replaces the connection" in text


def test_status_help_and_disconnected_messages_validate() -> None:
    connection = ConnectionView("Acme", "active", "U1", datetime(2026, 11, 1, tzinfo=UTC))
    account = AccountView(name="Current", iban="BE68539007547034", currency="EUR", current_balance=100)
    for _text, blocks in (
        status_message(Status(connection, [account], {"pending": 2}, "#finance"), "en_BE"),
        status_message(Status(None, [], {}, None), "en_BE"),
        help_message("bogus"),
        disconnected(decode("disconnected", {"organization_name": "Acme", "by": "U1", "revoked": False}), "en_BE"),
    ):
        assert_valid(blocks)


@pytest.mark.parametrize(
    ("minor", "currency", "locale", "expected"),
    [
        (123456, "EUR", "en_BE", "1.234,56\xa0€"),
        (-1, "EUR", "nl_BE", "€\xa0-0,01"),
        (1500, "JPY", "en_BE", "1.500\xa0JP¥"),
        (None, "EUR", "en_BE", "n/a"),
    ],
)
def test_money_formatting_is_exact(minor: int | None, currency: str, locale: str, expected: str) -> None:
    assert money(minor, currency, locale) == expected


def test_iban_formatting_leaves_non_ibans_alone() -> None:
    assert iban("BE68539007547034") == "BE68 5390 0754 7034"
    assert iban("1234-5678") == "1234-5678"


def test_an_amount_with_more_decimals_than_the_currency_is_shown_as_the_bank_sent_it() -> None:
    from bot.messages import render
    from worker.notices import TransactionPosted

    notice = TransactionPosted(id="t1", amount=-1234, currency="EUR", counterpart="Fuel", amount_exact="-12.345")
    text, blocks = render(notice, "en_BE")
    assert text.startswith("−12,345\xa0€ to Fuel")  # en_BE writes euros the Belgian way
    assert "not matched to invoices automatically" in str(blocks)
    plain = render(TransactionPosted(id="t2", amount=1234, currency="EUR", counterpart="Fuel"), "en_BE")
    assert plain[0].startswith("+12,34\xa0€ from Fuel") and "automatically" not in str(plain[1])


def test_status_says_what_is_connected_where_it_posts_and_what_waits() -> None:
    from worker.status import SyncProblem

    connection = ConnectionView("Acme <BV>", "broken", "U1", datetime(2026, 11, 1, tzinfo=UTC))
    account = AccountView(name="Current", iban="BE68539007547034", currency="EUR", current_balance=123456)
    problem = SyncProblem("acc-1", "Savings", "BE15001765432130", "authorization", datetime(2026, 11, 2, tzinfo=UTC))
    current = Status(
        connection,
        [account],
        {"pending": 2, "failed": 1},
        "C0FINANCE1",
        paused_reason="is_archived",
        sync_problems=[problem],
        plain_text_messages=1,
    )
    text, blocks = status_message(current, "en_BE")
    assert_valid(blocks)
    assert "*Acme &lt;BV&gt;*: :red_circle: needs reconnecting by <@U1>" in text
    assert "Finance channel: <#C0FINANCE1>" in text and "Messages waiting: 2; failed: 1" in text
    assert "Posting is on hold" in text and "archived" in text
    assert "BE68 5390 0754 7034" in text and "1.234,56" in text
    assert "Savings" in text and "renew" in text and "plain text" in text
    assert blocks[-1]["elements"][0]["action_id"] == "reauthorize" and blocks[-1]["elements"][0]["value"] == "acc-1"


def test_help_lists_every_command_and_shows_an_example_for_those_that_take_words() -> None:
    from bot.handlers import KNOWN

    text, blocks = help_message()
    assert_valid(blocks)
    assert set(KNOWN) == {line.split("`/ponto ")[1].split("`")[0].split(" ")[0] for line in text.split("\n")[1:]}
    for line in text.split("\n")[1:]:
        usage = line.split("`/ponto ")[1].split("`")[0]
        assert ("e.g. `/ponto " in line) == ("[" in usage), line  # arguments: an example shows how


def test_a_transaction_list_over_several_accounts_says_each_lines_account() -> None:
    from bot.blocks.transactions import transactions_list
    from worker.views import BankLineView

    eur = BankLineView("t1", 1_000, "EUR", "Acme", None, date(2026, 11, 2), "Current", None, "BE68539007547034")
    usd = BankLineView("t2", -2_500, "USD", "Globex", None, date(2026, 11, 1), "Dollars", None, "BE71096123456769")
    text, blocks = transactions_list([eur, usd], title="All accounts", locale="en_BE", more_value=None)
    assert_valid(blocks)
    listed = blocks[1]["text"]["text"].split("\n")
    assert "Current `BE68 5390 0754 7034`" in listed[0] and "Dollars `BE71 0961 2345 6769`" in listed[1]
    _text, one = transactions_list([eur], title="Current", locale="en_BE", more_value=None)
    assert "BE68" not in one[1]["text"]["text"]  # one account: the title says whose they are
