"""`ponto-slack reconcile`: a dry run users run on their own exports (here the evaluation set)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from harness.clock import cli_command
from harness.evaluate import DATA
from tests.conftest import ROOT, SHARED_FIXTURES


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli_command("reconcile", *args), cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_json_output_has_one_decision_per_transaction() -> None:
    done = run("--invoices", str(DATA / "invoices.json"), "--transactions", str(DATA / "transactions.json"))
    assert done.returncode == 0, done.stderr
    decisions = [json.loads(line) for line in done.stdout.splitlines()]
    expected = {e["transaction"]: e for e in json.loads((DATA / "expected.json").read_text())}
    assert [d["transaction"] for d in decisions] == list(expected)
    assert set(decisions[0]) == {"transaction", "decision", "invoices", "candidates", "reasons"}
    assert decisions[0]["decision"] == "auto" and decisions[0]["invoices"] == expected["tx-001"]["truth"]


def test_table_output_and_a_ponto_body_and_ubl_folders(tmp_path: Path) -> None:
    done = run(
        "--invoices",
        str(SHARED_FIXTURES / "ubl"),
        "--transactions",
        str(SHARED_FIXTURES / "ponto-connect" / "transactions.json"),
        "--format",
        "table",
    )
    assert done.returncode == 0, done.stderr
    transaction = json.loads((SHARED_FIXTURES / "ponto-connect" / "transactions.json").read_text())["data"][0]
    attributes = transaction["attributes"]
    first = done.stdout.splitlines()[0]  # the bank's own words first: date, amount, decision, counterparty
    assert first.startswith(attributes["executionDate"][:10]) and f"{attributes['currency']}  -" in first
    assert f"transaction: {transaction['id']}" in done.stdout  # the whole id, never cut
    assert "1 transactions: 0 auto, 0 ask, 1 none" in done.stderr


def test_the_table_wraps_at_words_and_shows_every_invoice_offered() -> None:
    from datetime import date

    from matching import Decision
    from ponto import Transaction
    from web.reconcile_table import render

    tx = Transaction(
        "tx-1",
        False,
        None,
        123_456,
        "EUR",
        None,
        date(2026, 11, 2),
        "Atelier Lumière SRL",
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        raw={},
    )
    numbers = [f"INV-2026-{n:05d}" for n in range(12)]
    reasons = ["several invoices are named but their amounts do not add up to the payment"]
    text = render([Decision("tx-1", "ask", candidates=numbers, reasons=reasons)], [tx], width=60)
    assert text.splitlines()[0] == "2026-11-02       +1,234.56 EUR  ASK   Atelier Lumière SRL"
    assert all(len(line) <= 60 for line in text.splitlines())
    assert all(number in text.replace("\n", " ") for number in numbers)  # none cut, none dropped
    assert reasons[0] in " ".join(part.strip() for part in text.splitlines())


def test_a_bad_input_file_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("number,customer,amount,currency,issue_date\nA,Acme,1.2.3,EUR,2026-01-01\n")
    done = run("--invoices", str(broken), "--transactions", str(DATA / "transactions.json"))
    assert done.returncode == 2 and "broken.csv: line 2, column amount" in done.stderr
    missing = run("--invoices", str(DATA / "invoices.json"), "--transactions", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "nope.json" in missing.stderr
