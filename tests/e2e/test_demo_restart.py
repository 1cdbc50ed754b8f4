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
