"""Invoices in, payments matched: auto "paid" messages, questions settled once by a signed click, Undo."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from harness.clock import cli_command
from harness.server import Server, connect, ponto_control, start_server
from tests.conftest import SHARED_FIXTURES

TOKEN = "test-api-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OGM = "+++090/9337/55493+++"
# Relative to today, so that the payments the tests book today always come after the invoices.
TODAY = datetime.now(UTC).date()
ISSUED = (TODAY - timedelta(days=28)).isoformat()
DUE = (TODAY + timedelta(days=2)).isoformat()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("invoices"),
        {"API_TOKEN": TOKEN, "DIGEST_THRESHOLD": "1000", "SLACK_MESSAGES_PER_SECOND": "20"},
    )
    try:
        with httpx.Client(timeout=20) as client:
            # The stand-in's seeded history is dated relative to today and could match these
            # invoices on some dates: these tests start from a bank with no lines at all.
            assert client.delete(f"{running.ponto_base}/_control/transactions").status_code == 200
            connect(running, client)
        yield running
    finally:
        running.stop()


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=20) as client:
        yield client


def wait_message(server: Server, client: httpx.Client, starts: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in server.history(client):
            if message["text"].startswith(starts):
                return message
        time.sleep(0.1)
    raise AssertionError(f"no message starting {starts!r}; log:\n{server.log()}")


def first_account(server: Server, client: httpx.Client) -> str:
    return next(iter(client.get(f"{server.ponto_base}/_control/state").json()["accounts"]))


def click(server: Server, client: httpx.Client, message: dict, action_id: str, user: str) -> dict:
    element = next(
        e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id
    )
    response = client.post(
        f"{server.slack_base}/action",
        headers={"Accept": "application/json"},
        data={
            "user": user,
            "channel": "C0FINANCE",
            "ts": message["ts"],
            "action_id": action_id,
            "value": element["value"],
        },
    )
    response.raise_for_status()
    return response.json()


def test_the_api_is_idempotent_and_says_what_is_wrong(server: Server, browser: httpx.Client) -> None:
    invoice = {
        "number": "INV-E2E-1",
        "customer": "Atelier Lumière SRL",
        "amount": "1234.56",
        "currency": "EUR",
        "issue_date": ISSUED,
        "due_date": DUE,
        "payment_reference": OGM,
        "kind": "sales",
    }
    url = f"{server.url}/api/invoices"
    assert browser.post(url, json=[invoice]).status_code == 401
    first = browser.post(url, json=[invoice], headers=AUTH)
    assert first.status_code == 201 and first.json() == {"created": 1, "updated": 0, "unchanged": 0}
    again = browser.post(url, json={"invoices": [invoice]}, headers=AUTH)
    assert again.status_code == 200 and again.json()["unchanged"] == 1
    bad = browser.post(url, json=[{**invoice, "number": "X", "amount": "12,3,4"}, {"number": "Y"}], headers=AUTH)
    assert bad.status_code == 422
    assert [e["location"] for e in bad.json()["errors"]] == ["invoices[0].amount", "invoices[1].customer"]
    listed = browser.get(url, params={"status": "open"}, headers=AUTH).json()["invoices"]
    assert [i["number"] for i in listed] == ["INV-E2E-1"] and listed[0]["amount"] == "1234.56"


def test_a_clear_payment_marks_the_invoice_paid(server: Server, browser: httpx.Client) -> None:
    ponto_control(
        server,
        browser,
        "transactions",
        {
            "account_id": first_account(server, browser),
            "transactions": [
                {
                    "amount": "1234.56",
                    "remittanceInformation": OGM,
                    "remittanceInformationType": "structured",
                    "counterpartName": "ATELIER LUMIERE",
                    "counterpartReference": "BE71096123456769",
                }
            ],
        },
    )
    paid = wait_message(server, browser, "Invoice INV-E2E-1 marked paid")
    assert "structured reference" in str(paid["blocks"]) and "match_undo" in str(paid["blocks"])
    status = browser.get(f"{server.url}/api/invoices", params={"status": "paid"}, headers=AUTH).json()
    assert [i["number"] for i in status["invoices"]] == ["INV-E2E-1"]


def test_an_ambiguous_payment_is_asked_and_settled_once(server: Server, browser: httpx.Client) -> None:
    for number, customer in (("INV-E2E-A", "Garage Tienen BV"), ("INV-E2E-B", "Studio Mons SA")):
        browser.post(
            f"{server.url}/api/invoices",
            headers=AUTH,
            json=[
                {
                    "number": number,
                    "customer": customer,
                    "amount": "500.00",
                    "currency": "EUR",
                    "issue_date": ISSUED,
                }
            ],
        )
    ponto_control(
        server,
        browser,
        "transactions",
        {
            "account_id": first_account(server, browser),
            "transactions": [
                {
                    "amount": "500.00",
                    "remittanceInformation": "Betaling",
                    "remittanceInformationType": "unstructured",
                    "counterpartName": "Someone",
                    "counterpartReference": "BE62510007547061",
                }
            ],
        },
    )
    question = wait_message(server, browser, "Which invoice does this pay?")
    buttons = [e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {b["value"].split(":")[1] for b in buttons} == {"INV-E2E-A", "INV-E2E-B", "none"}
    assert all("confirm" in b for b in buttons)
    pick_b = next(b["action_id"] for b in buttons if b["value"].endswith("INV-E2E-B"))
    before = len(server.ephemerals(browser, "U0VIEWER"))
    click(server, browser, question, pick_b, "U0VIEWER")
    assert "marked paid" in server.wait_ephemeral(browser, "U0VIEWER", before + 1)["text"]
    paid = wait_message(server, browser, "Invoice INV-E2E-B marked paid")
    updated = next(m for m in server.history(browser) if m["ts"] == question["ts"])
    assert "chosen by" in updated["text"] and not any(b["type"] == "actions" for b in updated["blocks"])
    count = len(server.ephemerals(browser, "U0DEMO"))
    click(server, browser, question, pick_b.replace("_0", "_1") if pick_b.endswith("_0") else pick_b, "U0DEMO")
    late = server.wait_ephemeral(browser, "U0DEMO", count + 1)["text"]
    assert late.startswith("Already done: <@U0VIEWER> settled it")

    # Undo restores the invoice and asks again.
    click(server, browser, paid, "match_undo", "U0DEMO")
    assert "open again" in server.wait_ephemeral(browser, "U0DEMO", count + 2)["text"]
    deadline = time.monotonic() + 10
    while True:
        restored = next(m for m in server.history(browser) if m["ts"] == question["ts"])
        if any(b["type"] == "actions" for b in restored["blocks"]):
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    open_now = browser.get(f"{server.url}/api/invoices", params={"status": "open"}, headers=AUTH).json()
    assert {"INV-E2E-A", "INV-E2E-B"} <= {i["number"] for i in open_now["invoices"]}
    before = len(server.ephemerals(browser, "U0VIEWER"))
    server.slash(browser, "unmatched", user="U0VIEWER")
    assert "1 payments wait" in server.wait_ephemeral(browser, "U0VIEWER", before + 1)["text"]
    server.slash(browser, "invoices", user="U0VIEWER")
    listing = server.wait_ephemeral(browser, "U0VIEWER", before + 2)
    assert listing["text"].startswith("2 open invoices, total 1.000,00") and "INV-E2E-B" in str(listing["blocks"])


def test_cli_import_refuses_bad_files_whole_and_imports_the_good(
    server: Server, tmp_path: Path, browser: httpx.Client
) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "good.xml").write_bytes((SHARED_FIXTURES / "ubl" / "peppol-base-example.xml").read_bytes())
    (folder / "bomb.xml").write_text('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><Invoice>&b;</Invoice>')
    (folder / "bad.csv").write_text(
        f"number,customer,amount,currency,issue_date\nOK-1,Acme,10.00,EUR,{ISSUED}\nBAD-2,Acme,ten,EUR,{ISSUED}\n"
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{server.db_path}"}
    done = subprocess.run(
        cli_command("invoices", "import", str(folder)),
        env=env,
        cwd=server.workdir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "REFUSED  " in done.stdout and "bad.csv: line 3, column amount" in done.stdout
    assert "bomb.xml: refused" in done.stdout and "ok       " in done.stdout
    numbers = {i["number"] for i in browser.get(f"{server.url}/api/invoices", headers=AUTH).json()["invoices"]}
    assert "Snippet1" in numbers and "OK-1" not in numbers and "BAD-2" not in numbers
