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
    assert done.stdout.startswith("transaction") and "a4a47c21-b606-464f-ae" in done.stdout
    assert "1 transactions: 0 auto, 0 ask, 1 none" in done.stderr


def test_a_bad_input_file_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("number,customer,amount,currency,issue_date\nA,Acme,1.2.3,EUR,2026-01-01\n")
    done = run("--invoices", str(broken), "--transactions", str(DATA / "transactions.json"))
    assert done.returncode == 2 and "broken.csv: line 2, column amount" in done.stderr
    missing = run("--invoices", str(DATA / "invoices.json"), "--transactions", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "nope.json" in missing.stderr
