"""Invoices in, payments matched: auto "paid" messages, questions settled once by a signed click, Undo."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.formatting import money
from harness.clock import cli_command
from harness.server import Server, connect, ponto_control, start_server
from sandbox.ponto_data import ogm
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


def wait_message(server: Server, client: httpx.Client, starts: str, timeout: float = 20, containing: str = "") -> dict:
    """The newest message starting with `starts` (and mentioning `containing`): this test's, not another's."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in server.history(client):
            if message["text"].startswith(starts) and containing in str(message):
                return message
        time.sleep(0.1)
    raise AssertionError(f"no message starting {starts!r}; log:\n{server.log()}")


def first_account(server: Server, client: httpx.Client) -> str:
    return next(iter(client.get(f"{server.ponto_base}/_control/state").json()["accounts"]))


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
    assert first.status_code == 201 and first.json() == {"created": 1, "updated": 0, "unchanged": 0, "changes": []}
    again = browser.post(url, json={"invoices": [invoice]}, headers=AUTH)
    assert again.status_code == 200 and again.json()["unchanged"] == 1
    bad = browser.post(url, json=[{**invoice, "number": "X", "amount": "12,3,4"}, {"number": "Y"}], headers=AUTH)
    assert bad.status_code == 422
    assert [e["location"] for e in bad.json()["errors"]] == [  # every problem of each invoice, not the first
        "invoices[0].amount",
        "invoices[1].customer",
        "invoices[1].amount",
        "invoices[1].currency",
        "invoices[1].issue_date",
    ]
    changed = browser.post(url, json=[{**invoice, "amount": "1300.00", "due_date": ISSUED}], headers=AUTH)
    assert changed.status_code == 200 and changed.json()["updated"] == 1
    assert changed.json()["changes"] == [
        {
            "number": "INV-E2E-1",
            "kind": "sales",
            "changed": {"due_date": {"from": DUE, "to": ISSUED}, "amount": {"from": "1234.56", "to": "1300.00"}},
        }
    ]
    browser.post(url, json=[invoice], headers=AUTH)  # as it was, for the rest of the module
    listed = browser.get(url, params={"status": "open"}, headers=AUTH).json()["invoices"]
    mine = [i for i in listed if i["number"] == "INV-E2E-1"]
    assert len(mine) == 1 and mine[0]["amount"] == "1234.56"


def test_a_clear_payment_marks_the_invoice_paid(server: Server, browser: httpx.Client) -> None:
    """Its own invoice and reference: passes alone and whichever test ran before."""
    reference = ogm(4_100_000_010)
    invoice = {
        "number": "INV-E2E-CLEAR",
        "customer": "Atelier Lumière SRL",
        "amount": "1234.56",
        "currency": "EUR",
        "issue_date": ISSUED,
        "due_date": DUE,
        "payment_reference": reference,
        "kind": "sales",
    }
    assert browser.post(f"{server.url}/api/invoices", json=[invoice], headers=AUTH).status_code in (200, 201)
    line = {
        "amount": "1234.56",
        "remittanceInformation": reference,
        "remittanceInformationType": "structured",
        "counterpartName": "ATELIER LUMIERE",
        "counterpartReference": "BE71096123456769",
    }
    ponto_control(
        server, browser, "transactions", {"account_id": first_account(server, browser), "transactions": [line]}
    )
    paid = wait_message(server, browser, "Invoice INV-E2E-CLEAR marked paid")
    assert "structured reference" in str(paid["blocks"]) and "match_undo" in str(paid["blocks"])
    status = browser.get(f"{server.url}/api/invoices", params={"status": "paid"}, headers=AUTH).json()
    assert "INV-E2E-CLEAR" in [i["number"] for i in status["invoices"]]


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
    question = wait_message(server, browser, "Which invoice does this pay?", containing="INV-E2E-A")
    buttons = [e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {b["value"].split(":")[1] for b in buttons} == {"INV-E2E-A", "INV-E2E-B", "none"}
    assert all("confirm" in b for b in buttons)
    pick_b = next(b["action_id"] for b in buttons if b["value"].endswith("INV-E2E-B"))
    before = len(server.ephemerals(browser, "U0VIEWER"))
    server.click(browser, question, pick_b, "U0VIEWER")
    assert "marked paid" in server.wait_ephemeral(browser, "U0VIEWER", before + 1)["text"]
    paid = wait_message(server, browser, "Invoice INV-E2E-B marked paid")
    updated = next(m for m in server.history(browser) if m["ts"] == question["ts"])
    assert "chosen by" in updated["text"] and not any(b["type"] == "actions" for b in updated["blocks"])
    count = len(server.ephemerals(browser, "U0DEMO"))
    server.click(browser, question, pick_b.replace("_0", "_1") if pick_b.endswith("_0") else pick_b, "U0DEMO")
    late = server.wait_ephemeral(browser, "U0DEMO", count + 1)["text"]
    assert late.startswith("Already done: <@U0VIEWER> settled it")

    # Undo restores the invoice, edits the paid message in place and asks again.
    server.click(browser, paid, "match_undo", "U0DEMO")
    assert "open again" in server.wait_ephemeral(browser, "U0DEMO", count + 2)["text"]
    restored = wait_edit(server, browser, question["ts"], lambda m: any(b["type"] == "actions" for b in m["blocks"]))
    undone = wait_edit(server, browser, paid["ts"], lambda m: m["text"].startswith("Undone"))
    assert "Undone by <@U0DEMO>" in str(undone["blocks"]) and not any(b["type"] == "actions" for b in undone["blocks"])
    offered = {e["value"].split(":")[1] for b in restored["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert offered == {"INV-E2E-A", "INV-E2E-B", "none"}
    assert re.search(r"(?<![\d.])0,00", str(restored["blocks"])) is None  # no invoice offered at 0,00 € open
    open_now = browser.get(f"{server.url}/api/invoices", params={"status": "open"}, headers=AUTH).json()
    assert {"INV-E2E-A", "INV-E2E-B"} <= {i["number"] for i in open_now["invoices"]}
    before = len(server.ephemerals(browser, "U0VIEWER"))
    server.slash(browser, "unmatched", user="U0VIEWER")
    waiting = server.wait_ephemeral(browser, "U0VIEWER", before + 1)
    assert "for a decision" in waiting["text"]
    assert re.search(r"Someone .*→ INV-E2E-[AB], INV-E2E-[AB]", str(waiting["blocks"])) is not None
    anchor = "p" + question["ts"].replace(".", "")
    link = re.search(r"<([^|>]+)\|answer>", str(waiting["blocks"]))  # the question, as Slack links it
    assert link is not None and link.group(1).endswith(f"#{anchor}"), waiting["blocks"]
    page = browser.get(server.slack_base.rsplit("/sandbox/slack", 1)[0] + link.group(1).split("#")[0])
    assert f"id='{anchor}'" in page.text  # the link leads to the question on the channel's page
    server.slash(browser, "invoices", user="U0VIEWER")
    listing = server.wait_ephemeral(browser, "U0VIEWER", before + 2)
    assert listing["text"].startswith("Receivables: ") and "INV-E2E-B" in str(listing["blocks"])


def wait_edit(server: Server, client: httpx.Client, ts: str, done: Callable[[dict], bool], timeout: float = 15) -> dict:
    """The message with this ts, once an edit made it satisfy `done`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = next(m for m in server.history(client) if m["ts"] == ts)
        if done(message):
            return message
        time.sleep(0.1)
    raise AssertionError(f"message {ts} was not edited as expected: {message}; log:\n{server.log()}")


def add_invoices(client: httpx.Client, server: Server, *invoices: dict) -> None:
    base = {"currency": "EUR", "issue_date": ISSUED, "kind": "sales"}
    response = client.post(f"{server.url}/api/invoices", headers=AUTH, json=[{**base, **i} for i in invoices])
    assert response.status_code in (200, 201), response.text


def book(server: Server, client: httpx.Client, amount: str, text: str, name: str, iban: str) -> None:
    """A payment arrives at the bank; Ponto syncs and tells the app by webhook."""
    line = {
        "amount": amount,
        "remittanceInformation": text,
        "remittanceInformationType": "structured" if text.startswith("+++") else "unstructured",
        "counterpartName": name,
        "counterpartReference": iban,
    }
    ponto_control(server, client, "transactions", {"account_id": first_account(server, client), "transactions": [line]})


def buttons_of(message: dict) -> list[dict]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_a_question_follows_its_invoices_when_they_are_paid_another_way(server: Server, browser: httpx.Client) -> None:
    first, second = ogm(4_100_000_001), ogm(4_100_000_002)
    add_invoices(
        browser,
        server,
        {"number": "Q-1", "customer": "Drukkerij Vos BV", "amount": "310.00", "payment_reference": first},
        {"number": "Q-2", "customer": "Bakkerij Peeters", "amount": "310.00", "payment_reference": second},
    )
    book(server, browser, "310.00", "Betaling", "Somebody Else", "BE71096123456769")
    question = wait_message(server, browser, "Which invoice does this pay? " + money(31000, "EUR", "en_BE"))
    assert {b["value"].split(":")[1] for b in buttons_of(question)} == {"Q-1", "Q-2", "none"}

    book(server, browser, "310.00", first, "Drukkerij Vos", "BE62510007547061")  # Q-1 paid by its reference
    wait_message(server, browser, "Invoice Q-1 marked paid")
    edited = wait_edit(server, browser, question["ts"], lambda m: "Q-1" not in str(m["blocks"]))
    assert {b["value"].split(":")[1] for b in buttons_of(edited)} == {"Q-2", "none"}

    count = len(server.ephemerals(browser, "U0VIEWER"))  # a click on the stale button, as an old screen shows it
    stale = next(b for b in buttons_of(question) if b["value"].endswith(":Q-1"))
    server.click(browser, question, stale["action_id"], "U0VIEWER")
    assert "Q-1 is no longer open" in server.wait_ephemeral(browser, "U0VIEWER", count + 1)["text"]

    book(server, browser, "310.00", second, "Bakkerij Peeters", "BE68539007547034")  # Q-2 paid too
    wait_message(server, browser, "Invoice Q-2 marked paid")
    closed = wait_edit(server, browser, question["ts"], lambda m: not buttons_of(m))
    assert "Q-2 was paid by Bakkerij Peeters on" in closed["text"]
    server.slash(browser, "unmatched", user="U0VIEWER")
    waiting = server.wait_ephemeral(browser, "U0VIEWER", count + 2)
    assert "Somebody Else" not in str(waiting["blocks"])  # /ponto unmatched agrees with the channel


def test_a_part_payment_is_never_called_paid(server: Server, browser: httpx.Client) -> None:
    reference = ogm(4_100_000_003)
    add_invoices(
        browser,
        server,
        {"number": "P-104", "customer": "Atelier Zonnebloem", "amount": "2000.00", "payment_reference": reference},
    )
    book(server, browser, "1000.00", reference, "Atelier Zonnebloem", "BE43068999999501")
    question = wait_message(server, browser, "Which invoice does this pay? " + money(100000, "EUR", "en_BE"))
    (pick,) = [b for b in buttons_of(question) if b["value"].endswith(":P-104")]
    half = money(100000, "EUR", "en_BE")
    assert pick["confirm"]["text"]["text"] == f"{half} of this payment goes to P-104; {half} stays open."
    count = len(server.ephemerals(browser, "U0VIEWER"))
    server.click(browser, question, pick["action_id"], "U0VIEWER")
    expected = f"Part payment on P-104: {half} received, {half} still open"
    assert server.wait_ephemeral(browser, "U0VIEWER", count + 1)["text"] == f"Done: {expected}."
    posted = wait_message(server, browser, expected)
    assert "marked paid" not in posted["text"] and "marked paid" not in str(posted["blocks"])


def test_invoices_of_a_customer_known_by_name_that_add_up_are_asked_together(
    server: Server, browser: httpx.Client
) -> None:
    add_invoices(
        browser,
        server,
        {"number": "N-1", "customer": "Brasserie Nordlicht", "amount": "120.40"},
        {"number": "N-2", "customer": "Brasserie Nordlicht", "amount": "80.35"},
        {"number": "N-3", "customer": "Brasserie Nordlicht", "amount": "55.10"},
    )
    book(server, browser, "200.75", "Betaling facturen", "BRASSERIE NORDLICHT", "BE02096512345640")
    question = wait_message(server, browser, "Which invoice does this pay? " + money(20075, "EUR", "en_BE"))
    offered = [b["value"].split(":")[1] for b in buttons_of(question)]
    assert offered == ["N-1+N-2", "N-1", "N-2", "none"]  # exactly those two, together first; never automatic
    count = len(server.ephemerals(browser, "U0VIEWER"))
    server.click(browser, question, "match_pick_all", "U0VIEWER")
    assert server.wait_ephemeral(browser, "U0VIEWER", count + 1)["text"] == "Done: Invoices N-1, N-2 marked paid."
    paid = browser.get(f"{server.url}/api/invoices", params={"status": "paid"}, headers=AUTH).json()["invoices"]
    assert {"N-1", "N-2"} <= {i["number"] for i in paid} and "N-3" not in {i["number"] for i in paid}


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


def test_one_transfer_settling_forty_invoices_is_posted_within_slacks_limits(
    server: Server, browser: httpx.Client
) -> None:
    """The stand-in refuses a section over 3,000 characters, as Slack does: the message must still arrive."""
    invoices = [
        {
            "number": f"BULK-2026-{1000 + n}",
            "customer": "Grossiste Général de Belgique et du Grand-Duché de Luxembourg SA",
            "amount": f"{100 + n}.{n:02d}",
            "currency": "EUR",
            "issue_date": ISSUED,
            "due_date": DUE,
            "kind": "sales",
        }
        for n in range(1, 41)
    ]
    created = browser.post(f"{server.url}/api/invoices", json=invoices, headers=AUTH)
    assert created.status_code == 201, created.text
    total = sum(int(i["amount"].replace(".", "")) for i in invoices)
    ponto_control(
        server,
        browser,
        "transactions",
        {
            "account_id": first_account(server, browser),
            "transactions": [
                {
                    "amount": f"{total // 100}.{total % 100:02d}",
                    "remittanceInformation": " ".join(i["number"] for i in invoices),
                    "counterpartName": "GROSSISTE GENERAL <!channel>",
                }
            ],
        },
    )
    first_five = ", ".join(i["number"] for i in invoices[:5])
    paid = wait_message(server, browser, f"Invoices {first_five} and 35 more marked paid")
    shown = paid["blocks"][0]["text"]["text"]
    assert len(shown) <= 3000 and "BULK-2026-1040" not in shown and "more" in shown.splitlines()[-1]
    assert "<!channel>" not in str(paid)
    status = browser.get(f"{server.url}/api/invoices", params={"status": "paid"}, headers=AUTH).json()
    assert {i["number"] for i in invoices} <= {i["number"] for i in status["invoices"]}


def test_someone_outside_the_finance_channel_cannot_settle_a_match(server: Server, browser: httpx.Client) -> None:
    for number in ("INV-PERM-A", "INV-PERM-B"):
        browser.post(
            f"{server.url}/api/invoices",
            headers=AUTH,
            json=[
                {"number": number, "customer": "Perm BV", "amount": "321.00", "currency": "EUR", "issue_date": ISSUED}
            ],
        )
    line = {"amount": "321.00", "remittanceInformation": "betaling", "counterpartName": "Perm Payer"}
    ponto_control(
        server, browser, "transactions", {"account_id": first_account(server, browser), "transactions": [line]}
    )
    question = next(
        m for m in _wait_all(server, browser, "Which invoice does this pay?") if "INV-PERM-A" in str(m["blocks"])
    )
    channel = f"{server.slack_base}/_control/channels"
    members = browser.post(channel, json={"channel": "C0FINANCE"}).json()["members"]
    browser.post(channel, json={"channel": "C0FINANCE", "members": [m for m in members if m != "U0VIEWER"]})
    try:
        button = next(e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"])
        before = len(server.ephemerals(browser, "U0VIEWER"))
        server.click(browser, question, button["action_id"], "U0VIEWER", channel="C0FINANCE")
        refusal = server.wait_ephemeral(browser, "U0VIEWER", before + 1)["text"]
        assert refusal.startswith("Only the finance channel's members") and "Nothing changed" in refusal
        still = next(m for m in server.history(browser) if m["ts"] == question["ts"])
        assert any(b["type"] == "actions" for b in still["blocks"])  # still asked
        opened = browser.get(f"{server.url}/api/invoices", params={"status": "open"}, headers=AUTH).json()
        assert {"INV-PERM-A", "INV-PERM-B"} <= {i["number"] for i in opened["invoices"]}
    finally:
        browser.post(channel, json={"channel": "C0FINANCE", "members": members})
    none = next(
        e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"] if e["value"].endswith(":none")
    )
    server.click(browser, question, none["action_id"], "U0DEMO")  # settled: no question left for other tests


def _wait_all(server: Server, client: httpx.Client, starts: str, timeout: float = 20) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in server.history(client) if m["text"].startswith(starts) and "INV-PERM" in str(m)]
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no message starting {starts!r}; log:\n{server.log()}")
