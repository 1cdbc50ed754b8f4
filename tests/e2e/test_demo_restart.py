"""The demo restarted, twice: the same channel, the same working connection, no line shown twice; once
stopped cleanly and once killed (the state is saved every second, so a kill loses at most that)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx

from harness.server import Server, connect, free_port, ponto_control, refs_in_channel, start_server


def _wait(server: Server, client: httpx.Client, refs: set[str], what: str) -> None:
    deadline = time.monotonic() + 30
    while not refs <= set(refs_in_channel(server, client)):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{server.log()[-3000:]}")
        time.sleep(0.2)


def test_a_restarted_demo_goes_on_where_it_stopped(tmp_path: Path) -> None:
    port = free_port()
    env = {"DIGEST_THRESHOLD": "100"}  # each new line its own message: every line is visible in the channel
    server = start_server(tmp_path, env, port=port)
    try:
        with httpx.Client(timeout=20) as client:
            connect(server, client)
            with sqlite3.connect(tmp_path / "app.db") as db:
                imported = db.execute("SELECT count(*) FROM bank_transactions").fetchone()[0]
            history = server.history(client)
            ids = ponto_control(server, client, "transactions", {"count": 2})["ids"]
            _wait(server, client, set(ids), "the first lines")
            time.sleep(1.5)  # the state is saved every second
            server.stop()
            state_file = tmp_path / "app.db.stand-ins"
            assert state_file.stat().st_mode & 0o777 == 0o600

            server = start_server(tmp_path, env, port=port)
            again = server.history(client)
            assert [m["ts"] for m in again[-len(history) :]] == [m["ts"] for m in history]  # the same channel
            more = ponto_control(server, client, "transactions", {"count": 2})["ids"]
            _wait(server, client, set(more), "lines after a clean restart")  # the refresh token still works
            time.sleep(1.5)
            server.kill()

            server = start_server(tmp_path, env, port=port)
            last = ponto_control(server, client, "transactions", {"count": 2})["ids"]
            _wait(server, client, set(last), "lines after a kill")
            seen = len(server.ephemerals(client, "U0DEMO"))
            server.slash(client, "status")
            status = str(server.wait_ephemeral(client, "U0DEMO", seen + 1))
            assert ":large_green_circle: connected by" in status and "Reconnect" not in status, status
            refs = refs_in_channel(server, client)
    finally:
        server.stop()
    assert len(refs) == len(set(refs)) and {*ids, *more, *last} <= set(refs)
    with sqlite3.connect(tmp_path / "app.db") as db:
        stored = db.execute("SELECT count(*), count(DISTINCT ponto_id) FROM bank_transactions").fetchone()
        connections = db.execute("SELECT status FROM ponto_connections").fetchall()
    assert stored[0] == stored[1] == imported + 6  # the first import and the six new lines, each once
    assert connections == [("active",)]


def test_an_unreadable_state_file_is_set_aside_and_the_demo_starts_afresh(tmp_path: Path) -> None:
    (tmp_path / "app.db.stand-ins").write_bytes(b"not a saved state")
    server = start_server(tmp_path)
    try:
        assert (tmp_path / "app.db.stand-ins.unreadable").read_bytes() == b"not a saved state"
        assert "could not be read" in server.log()
        with httpx.Client(timeout=20) as client:
            connect(server, client)
    finally:
        server.stop()


def test_the_demo_brings_invoices_and_payments_once_even_across_a_restart(tmp_path: Path) -> None:
    """Once connected: the demo's invoices through the API, then a clear payment (paid), an ambiguous one (a
    question), a part payment, then ordinary lines; restarted, it goes on without paying anything twice."""
    port = free_port()
    env = {"API_TOKEN": "demo-api-token", "DEMO_TRICKLE_SECONDS": "0.5", "DIGEST_THRESHOLD": "100"}
    env |= {"SLACK_MESSAGES_PER_SECOND": "20"}  # the channel keeps up with the trickle
    server = start_server(tmp_path, env, port=port)
    try:
        with httpx.Client(timeout=20) as client:
            connect(server, client)

            def shown(text: str) -> int:  # messages that show it, in their text or their blocks
                return sum(text in str(m) for m in server.history(client))

            deadline = time.monotonic() + 40
            while not (shown("DEMO-2026-001 marked paid") and shown("Which invoice does this pay?")
                       and shown("DEMO-2026-004") and len(refs_in_channel(server, client)) >= 5):  # fmt: skip
                assert time.monotonic() < deadline, server.log()[-3000:]
                time.sleep(0.3)
            questions = [str(m["blocks"]) for m in server.history(client) if m["text"].startswith("Which invoice")]
            assert any("DEMO-2026-002" in q and "DEMO-2026-003" in q for q in questions)  # the ambiguous one
            assert any("DEMO-2026-004" in q and "1.000,00" in q for q in questions)  # the part payment, asked
            time.sleep(1.5)
            server.stop()
            server = start_server(tmp_path, env, port=port)
            before = len(refs_in_channel(server, client))
            deadline = time.monotonic() + 20
            while len(refs_in_channel(server, client)) < before + 4:  # the trickle goes on, past the script
                assert time.monotonic() < deadline, server.log()[-3000:]
                time.sleep(0.3)
            server.wait_quiet()  # every question the new lines caused is posted
            assert shown("DEMO-2026-001 marked paid") == 1 and shown("Which invoice does this pay?") == 2
            refs = refs_in_channel(server, client)
            assert len(refs) == len(set(refs))
    finally:
        server.stop()
