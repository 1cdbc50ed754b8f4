"""The real server with both stand-ins: transactions reach the channel by webhook and by schedule."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.clock import cli_command
from harness.server import Server, connect, key_dir_of, ponto_control, refs_in_channel, start_server


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=20, follow_redirects=False) as client:
        yield client


def wait_for_refs(server: Server, client: httpx.Client, wanted: list[str], timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        refs = refs_in_channel(server, client)
        if set(wanted) <= set(refs):
            return refs
        time.sleep(0.1)
    raise AssertionError(f"{wanted} not all in the channel; log:\n{server.log()}")


def accounts(server: Server, client: httpx.Client) -> list[str]:
    return list(client.get(f"{server.url}/sandbox/ponto/_control/state").json()["accounts"])


AFTER_IMPORT: dict[str, list[str]] = {}  # the channel right after the first sync, whatever ran later


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"DIGEST_THRESHOLD": "1000", "SLACK_MESSAGES_PER_SECOND": "20"}
    server = start_server(tmp_path_factory.mktemp("sync"), env)
    try:
        with httpx.Client(timeout=20) as client:
            connect(server, client)
            AFTER_IMPORT["texts"] = [m["text"] for m in server.history(client)]
            AFTER_IMPORT["refs"] = refs_in_channel(server, client)
        yield server
    finally:
        server.stop()


def test_first_sync_posts_one_import_summary(linked: Server, browser: httpx.Client) -> None:
    imports = [t for t in AFTER_IMPORT["texts"] if t.startswith("Imported ")]
    assert len(imports) == 1 and "from 3 accounts since" in imports[0]
    assert not AFTER_IMPORT["refs"]  # the history is summarised, not posted line by line
    assert len([m for m in linked.history(browser) if m["text"].startswith("Imported ")]) == 1  # and only once


def test_transactions_arrive_through_the_webhook(linked: Server, browser: httpx.Client) -> None:
    account = accounts(linked, browser)[0]
    added = ponto_control(linked, browser, "transactions", {"account_id": account, "count": 3, "seed": 11})
    refs = wait_for_refs(linked, browser, added["ids"])
    assert sorted(r for r in refs if r in added["ids"]) == sorted(added["ids"])
    assert len(refs) == len(set(refs))  # nothing shown twice
    deliveries = browser.get(f"{linked.url}/sandbox/ponto/_control/webhooks").json()["deliveries"]
    assert {"type": "pontoConnect.account.transactionsCreated", "status": 202, "attempts": 1} in deliveries


def test_a_forged_webhook_is_refused_and_changes_nothing(linked: Server, browser: httpx.Client) -> None:
    before = linked.snapshot()
    body = b'{"data": {"id": "x", "type": "pontoConnect.account.transactionsCreated"}}'
    for headers in ({}, {"Signature": "not-a-jwt"}, {"Signature": "eyJhbGciOiJSUzUxMiJ9.e30.c2ln"}):
        response = browser.post(f"{linked.url}/ponto/webhooks", content=body, headers=headers)
        assert response.status_code == 401, response.text
    assert linked.snapshot() == before


def test_transactions_listed_and_balance_on_demand(linked: Server, browser: httpx.Client) -> None:
    count = len(linked.ephemerals(browser, "U0VIEWER"))
    linked.slash(browser, "transactions Business current account 60", user="U0VIEWER")
    answer = linked.wait_ephemeral(browser, "U0VIEWER", count + 1)
    assert "Transactions of the last 60 days on Business current account" in answer["blocks"][0]["text"]["text"]
    assert answer["blocks"][-1]["elements"][0]["action_id"] == "transactions_more"
    linked.slash(browser, "balance", user="U0VIEWER")
    balance = linked.wait_ephemeral(browser, "U0VIEWER", count + 2)
    assert balance["text"].startswith("Balances now: EUR:") and "USD:" in balance["text"]
    linked.slash(browser, "transactions XX00NOPE", user="U0VIEWER")
    assert "No account matches" in linked.wait_ephemeral(browser, "U0VIEWER", count + 3)["text"]


def test_an_expiring_bank_authorization_gives_exactly_one_alert(linked: Server, browser: httpx.Client) -> None:
    account = accounts(linked, browser)[1]
    ponto_control(linked, browser, "accounts", {"account_id": account, "authorization_expires_in_days": 3})
    for _ in range(2):  # two syncs see the same condition
        ponto_control(linked, browser, "transactions", {"account_id": account, "count": 1})
        time.sleep(1.5)
    linked.wait_quiet()
    alerts = [m for m in linked.history(browser) if m["text"].startswith("Bank access to Savings account")]
    assert len(alerts) == 1
    assert alerts[0]["blocks"][-1]["elements"][0]["action_id"] == "reauthorize"


def test_with_webhooks_off_the_schedule_brings_the_transactions(tmp_path: Path, browser: httpx.Client) -> None:
    server = start_server(tmp_path, {"DIGEST_THRESHOLD": "1000", "SYNC_INTERVAL_MINUTES": "0.05"})
    try:
        connect(server, browser)
        browser.post(f"{server.url}/sandbox/ponto/_control/webhooks", json={"enabled": False})
        added = ponto_control(server, browser, "transactions", {"account_id": accounts(server, browser)[2], "count": 2})
        wait_for_refs(server, browser, added["ids"], timeout=30)
        assert browser.get(f"{server.url}/sandbox/ponto/_control/webhooks").json()["deliveries"] == []
    finally:
        server.stop()


def test_a_rejected_refresh_token_gives_one_reconnect_alert(tmp_path: Path, browser: httpx.Client) -> None:
    server = start_server(tmp_path, {"SYNC_INTERVAL_MINUTES": "0.05"})
    try:
        connect(server, browser)
        ponto_control(server, browser, "tokens", {"expire_access_tokens": True, "revoke_refresh_tokens": True})
        deadline = time.monotonic() + 30
        while not any("disconnected and syncing is paused" in m["text"] for m in server.history(browser)):
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.2)
        time.sleep(4)  # more scheduled rounds pass: the alert is not repeated
        alerts = [m for m in server.history(browser) if "disconnected and syncing is paused" in m["text"]]
        assert len(alerts) == 1 and alerts[0]["blocks"][-1]["elements"][0]["action_id"] == "reconnect"
        assert server.records("ponto_connections")[0]["status"] == "broken"
    finally:
        server.stop()


def test_one_shot_sync_command_reports_what_it_did(linked: Server, browser: httpx.Client) -> None:
    import os
    import subprocess

    linked.wait_quiet()  # nothing else syncing: this command does the work, it is not "skipped"
    ponto_control(
        linked, browser, "transactions", {"account_id": accounts(linked, browser)[0], "count": 2, "webhook": False}
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{linked.db_path}",
        "PUBLIC_URL": linked.url,
        "KEY_DIR": str(key_dir_of(linked.workdir)),
    }
    for name in ("SLACK_BOT_TOKEN", "PONTO_CLIENT_ID", "TOKEN_ENCRYPTION_KEY"):
        env.pop(name, None)
    done = subprocess.run(
        cli_command("sync"),
        cwd=linked.workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 accounts, 2 new and" in done.stdout, done.stdout  # the two lines held back from the webhook


def test_sync_now_from_slack_shows_progress_then_what_it_brought(linked: Server, browser: httpx.Client) -> None:
    linked.wait_quiet()
    added = ponto_control(
        linked, browser, "transactions", {"account_id": accounts(linked, browser)[1], "count": 2, "webhook": False}
    )["ids"]
    before = linked.ephemerals(browser, "U0VIEWER")
    linked.slash(browser, "sync", user="U0VIEWER")  # anyone may ask: it only reads
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        new = linked.ephemerals(browser, "U0VIEWER")[len(before) :]
        if any("Synced" in e["text"] or "already running" in e["text"] for e in new):
            break
        time.sleep(0.1)
    answers = linked.ephemerals(browser, "U0VIEWER")[len(before) :]
    assert len(answers) == 1 and answers[0]["replaced"] == 1, answers  # the progress note, edited into the answer
    assert answers[0]["text"].startswith(":white_check_mark: Synced 3 account(s): 2 new and"), answers
    wait_for_refs(linked, browser, added)  # and the channel shows them


def test_one_shot_sync_against_no_server_names_the_address_it_tried_and_the_setting(
    linked: Server, browser: httpx.Client, tmp_path: Path
) -> None:
    import os
    import sqlite3
    import subprocess

    from harness.server import free_port

    copy = tmp_path / "copy.db"  # a copy: the failure must not touch the shared server's schedule
    with sqlite3.connect(linked.db_path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
        # The copy may have caught the shared server in the middle of a sync: its lease is not the copy's.
        target.execute("UPDATE sync_states SET lease_until = NULL, lease_owner = NULL")
    nowhere = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{copy}",
        "PUBLIC_URL": nowhere,
        "TOKEN_ENCRYPTION_KEY": linked.token_keys(),  # the copy's tokens were written with the server's key
    }
    for name in ("SLACK_BOT_TOKEN", "PONTO_CLIENT_ID"):
        env.pop(name, None)
    done = subprocess.run(cli_command("sync"), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"tried the Ponto stand-in at {nowhere}/sandbox/ponto/api" in done.stdout, done.stdout
    assert "set PUBLIC_URL to where it runs" in done.stdout


def test_a_transaction_ponto_corrects_is_edited_in_place_not_posted_again(
    linked: Server, browser: httpx.Client
) -> None:
    account = accounts(linked, browser)[0]
    (ref,) = ponto_control(
        linked,
        browser,
        "transactions",
        {
            "account_id": account,
            "transactions": [{"amount": "77.10", "counterpartName": None, "remittanceInformation": "first version"}],
        },
    )["ids"]
    wait_for_refs(linked, browser, [ref])
    ponto_control(
        linked,
        browser,
        "transactions/update",
        {"id": ref, "attributes": {"counterpartName": "Corrected Name BV", "remittanceInformation": "second version"}},
    )
    deadline = time.monotonic() + 20
    while True:
        mine = [
            m
            for m in linked.history(browser)
            if ((m.get("metadata") or {}).get("event_payload") or {}).get("ref") == ref
        ]
        if mine and "Corrected Name BV" in mine[0]["text"]:
            break
        assert time.monotonic() < deadline, linked.log()
        time.sleep(0.1)
    assert len(mine) == 1 and "edited" in mine[0]  # chat.update of the same message
    assert "second version" in str(mine[0]["blocks"])


def test_a_bank_refusing_ponto_gives_one_alert_with_the_button_then_says_it_works_again(
    tmp_path: Path, browser: httpx.Client
) -> None:
    """Ponto's own synchronization fails (authorizationInvalid) and says so by webhook, twice: one alert."""
    server = start_server(tmp_path, {"DIGEST_THRESHOLD": "1000"})
    try:
        connect(server, browser)
        account = accounts(server, browser)[2]
        for _ in range(2):
            ponto_control(server, browser, "synchronization-failures", {"account_id": account, "now": True})
            time.sleep(1)
        server.wait_quiet()
        alerts = [m for m in server.history(browser) if m["text"].startswith("The bank no longer accepts")]
        assert len(alerts) == 1, server.log()
        assert alerts[0]["blocks"][-1]["elements"][0]["action_id"] == "reauthorize"
        failed = [d for d in browser.get(f"{server.ponto_base}/_control/webhooks").json()["deliveries"]]
        assert sum(d["type"] == "pontoConnect.synchronization.failed" for d in failed) == 2

        server.slash(browser, "status")
        status = server.wait_ephemeral(browser, "U0DEMO", 2)
        assert "the bank refused Ponto's access" in status["text"] and "reauthorize" in str(status["blocks"])

        assert browser.delete(f"{server.ponto_base}/_control/synchronization-failures").status_code == 200
        ponto_control(server, browser, "transactions", {"account_id": account, "count": 1})
        deadline = time.monotonic() + 20
        while True:
            (alert,) = [m for m in server.history(browser) if m["ts"] == alerts[0]["ts"]]
            if "work again" in alert["text"]:
                break
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.2)
        assert "edited" in alert and "reauthorize" not in str(alert["blocks"])  # the same message, now true
    finally:
        server.stop()


@pytest.mark.parametrize("details_last", [True, False])
def test_a_webhook_burst_for_one_account_brings_the_correction_in_either_order(
    linked: Server, browser: httpx.Client, details_last: bool
) -> None:
    """Through real webhooks, nothing is lost in either order. Whether both land in one worker round is up to
    timing here; the same-round case is pinned by tests/worker/test_sync.py (the burst test)."""
    account = accounts(linked, browser)[0]
    (ref,) = ponto_control(linked, browser, "transactions", {"account_id": account, "count": 1})["ids"]
    wait_for_refs(linked, browser, [ref])
    name = f"Burst Corrected {'last' if details_last else 'first'} BV"
    ponto_control(
        linked, browser, "transactions/update", {"id": ref, "attributes": {"counterpartName": name}, "webhook": False}
    )
    events = ["pontoConnect.account.transactionsUpdated", "pontoConnect.account.detailsUpdated"]
    ponto_control(
        linked, browser, "synchronizations", {"account_id": account, "events": events[:: 1 if details_last else -1]}
    )
    deadline = time.monotonic() + 20
    while True:
        mine = [
            m
            for m in linked.history(browser)
            if ((m.get("metadata") or {}).get("event_payload") or {}).get("ref") == ref
        ]
        if mine and name in mine[0]["text"]:
            break
        assert time.monotonic() < deadline, linked.log()
        time.sleep(0.1)
    assert len(mine) == 1 and "edited" in mine[0]
