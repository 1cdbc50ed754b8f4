"""`/ponto transactions [IBAN or account name] [days]`: an IBAN as the app prints it is one selector."""

from __future__ import annotations

import pytest

from worker.queries import TransactionQuery


@pytest.mark.parametrize(
    ("args", "selector", "days"),
    [
        ("BE68 5390 0754 7034", "BE68 5390 0754 7034", 30),  # the last group is part of the IBAN
        ("BE68 5390 0754 7034 7", "BE68 5390 0754 7034", 7),
        ("NL91 ABNA 0417 1643 00", "NL91 ABNA 0417 1643 00", 30),
        ("BE68539007547034 90", "BE68539007547034", 90),
        ("Savings 14", "Savings", 14),
        ("Savings 9999", "Savings", 366),
        ("", None, 30),
    ],
)
def test_parse(args: str, selector: str | None, days: int) -> None:
    assert TransactionQuery.parse(args) == TransactionQuery(selector, days)
