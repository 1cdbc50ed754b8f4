"""SIGKILL in the middle of a large sync and of its delivery: each transaction stored once, shown once."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx

from harness.server import (
    connect,
    free_port,
    ponto_control,
    refs_in_channel,
    stand_ins_as_real_services,
    start_server,
    start_stand_in,
)

LARGE = 1500


def _wait(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _sync_running(db: Path) -> bool:
    with sqlite3.connect(db) as connection:
        return bool(connection.execute("SELECT count(*) FROM sync_states WHERE lease_until IS NOT NULL").fetchone()[0])


def test_killed_mid_sync_and_mid_delivery_nothing_lost_nothing_twice(tmp_path: Path) -> None:
    app_port, ponto_port, slack_port = free_port(), free_port(), free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    ponto_base = f"http://127.0.0.1:{ponto_port}/sandbox/ponto"
    slack_base = f"http://127.0.0.1:{slack_port}/sandbox/slack"
    stand_ins = [
        start_stand_in("ponto", ponto_port, app_url, tmp_path, "--webhooks"),
        start_stand_in("slack", slack_port, app_url, tmp_path),
    ]
    env = {  # the server treats the stand-ins, running on their own, as the real services
        **stand_ins_as_real_services(app_url, ponto_base, slack_base, "n2vFfI9aCl2yCYVh4G3N7s2Wq4R9ZjL0ZbqK4mJX8mQ="),
        "DIGEST_THRESHOLD": "100000",
        "SLACK_MESSAGES_PER_SECOND": "200",
    }

    def start():  # type: ignore[no-untyped-def]
        return start_server(tmp_path, env, port=app_port, slack_base=slack_base, ponto_base=ponto_base)

    server = start()
    try:
        with httpx.Client(timeout=30) as client:
            connect(server, client)
            account = client.get(f"{ponto_base}/_control/state").json()["accounts"]
            first = list(account)[0]
            added = ponto_control(server, client, "transactions", {"account_id": first, "count": LARGE})["ids"]

            _wait(lambda: _sync_running(server.db_path), 20, "the sync to start")
            server.kill()  # 1: in the middle of the sync
            server = start()  # the webhook was consumed before the kill: the schedule or restart must catch up
            client.post(f"{ponto_base}/_control/transactions", json={"account_id": first, "count": 1})
            _wait(lambda: len(refs_in_channel(server, client)) >= 200, 60, "delivery to be under way")
            server.kill()  # 2: in the middle of the delivery
            server = start()
            _wait(lambda: len(set(refs_in_channel(server, client)) & set(added)) == LARGE, 120, "every message")
            refs = refs_in_channel(server, client)
            assert len(refs) == len(set(refs)), "a transaction was shown twice"
            with sqlite3.connect(server.db_path) as db:
                ids = [row[0] for row in db.execute("SELECT ponto_id FROM bank_transactions")]
            assert len(ids) == len(set(ids)) and set(added) <= set(ids)
    finally:
        server.stop()
        for process in stand_ins:
            process.terminate()
            process.wait(timeout=10)
