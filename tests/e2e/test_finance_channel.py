"""The finance channel against a Slack stand-in that refuses what Slack refuses (scopes, membership).

A private channel given by name, a channel chosen where `/ponto activate` is typed, the app asking to be
invited, and the scopes the manifest declares checked against the ones a full run needed.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from harness.server import Server, connect, ponto_control, start_server

ADMIN, BOT = "U0DEMO", "U0BOT"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=20) as client:
        yield client


def _channel(server: Server, client: httpx.Client, name: str, *, private: bool, members: list[str]) -> str:
    response = client.post(
        f"{server.slack_base}/_control/channels", json={"name": name, "is_private": private, "members": members}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["channel"])


def _stored_channel(server: Server) -> str:
    with sqlite3.connect(server.db_path) as db:
        return str(db.execute("SELECT finance_channel FROM workspaces").fetchone()[0])


def _texts(server: Server, client: httpx.Client, channel: str) -> list[str]:
    return [m["text"] for m in server.history(client, channel)]


def _fail_posts(server: Server, client: httpx.Client, count: int) -> None:
    """Slack posts the message, then answers 500: the outcome is unknown, the channel is read before a retry."""
    fault = {"method": "chat.postMessage", "status": 500, "after_posting": True, "count": count}
    assert client.post(f"{server.slack_base}/_control/faults", json=fault).status_code == 201


def test_private_channel_by_name_then_a_public_one_with_every_scope_the_manifest_declares(
    tmp_path: Path, browser: httpx.Client
) -> None:
    server = start_server(tmp_path, {"FINANCE_CHANNEL": "#money", "DIGEST_THRESHOLD": "1000"})
    try:
        money = _channel(server, browser, "money", private=True, members=[ADMIN, BOT])  # the app was invited
        _fail_posts(server, browser, 1)  # the first post's outcome is unknown: the channel is read before retrying
        connect(server, browser, channel=ADMIN)  # activated in the app's DM: FINANCE_CHANNEL decides
        server.wait_quiet()
        overviews = [t for t in _texts(server, browser, money) if t.startswith("Ponto connected")]
        assert len(overviews) == 1, server.log()
        assert _stored_channel(server) == money  # the name was resolved once and replaced by the id

        server.slash(browser, "channel #general")
        reply = server.wait_ephemeral(browser, ADMIN, 2)["text"]
        assert "Updates go to <#C0GENERAL>" in reply
        server.slash(browser, "status")
        assert "Finance channel: <#C0GENERAL>" in server.wait_ephemeral(browser, ADMIN, 3)["text"]
        _fail_posts(server, browser, 1)
        account = next(iter(browser.get(f"{server.ponto_base}/_control/state").json()["accounts"]))
        (ref,) = ponto_control(server, browser, "transactions", {"account_id": account, "count": 1})["ids"]
        deadline = time.monotonic() + 30
        while ref not in str(server.history(browser, "C0GENERAL")):
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.2)
        server.wait_quiet()  # the retry after the 500 reads the channel first and finds the post
        assert str(server.history(browser, "C0GENERAL")).count(ref) == 1  # posted once

        used = set(browser.get(f"{server.slack_base}/_control/scopes").json()["used"])
    finally:
        server.stop()
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    declared = set(manifest["oauth_config"]["scopes"]["bot"])
    assert used | {"commands"} == declared  # every scope a call needed, and none the app never uses


def test_activate_in_a_private_channel_asks_for_an_invite_then_posts_there(
    tmp_path: Path, browser: httpx.Client
) -> None:
    server = start_server(tmp_path)
    try:
        board = _channel(server, browser, "board", private=True, members=[ADMIN])  # the app is not in it
        connect(server, browser, channel=board, settle=False)
        consent = server.ephemerals(browser, ADMIN)[0]  # the link's message, replaced once connected
        assert consent["replaced"] == 1 and consent["text"].startswith(":white_check_mark: Connected")
        assert "invite it with `/invite @Ponto Finance`" in consent["text"]  # still to do: kept in view
        assert _stored_channel(server) == board
        deadline = time.monotonic() + 20
        while "channel_not_found" not in str(server.records("workspaces")):
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.2)
        assert not _texts(server, browser, board)  # it cannot post there yet: held, not lost

        browser.post(f"{server.slack_base}/_control/channels", json={"channel": board, "members": [ADMIN, BOT]})
        server.slash(browser, "channel", channel=board)
        assert "Updates go to" in server.wait_ephemeral(browser, ADMIN, 2)["text"]
        server.wait_quiet()
        assert [t for t in _texts(server, browser, board) if t.startswith("Ponto connected")]
    finally:
        server.stop()


def test_a_channel_name_nobody_can_see_is_refused_with_the_next_step(tmp_path: Path, browser: httpx.Client) -> None:
    server = start_server(tmp_path)
    try:
        server.slash(browser, "channel #does-not-exist")
        reply = server.wait_ephemeral(browser, ADMIN, 1)["text"]
        assert "No channel #does-not-exist is visible to the app" in reply and "/invite" in reply
        server.slash(browser, "channel #general", user="U0VIEWER")
        assert "Only Slack workspace admins" in server.wait_ephemeral(browser, "U0VIEWER", 1)["text"]
    finally:
        server.stop()


def test_an_archived_channel_holds_messages_until_resume(tmp_path: Path, browser: httpx.Client) -> None:
    server = start_server(tmp_path, {"DIGEST_THRESHOLD": "1000"})
    try:
        connect(server, browser)
        browser.post(f"{server.slack_base}/_control/channels", json={"channel": "C0FINANCE", "is_archived": True})
        account = next(iter(browser.get(f"{server.ponto_base}/_control/state").json()["accounts"]))
        (ref,) = ponto_control(server, browser, "transactions", {"account_id": account, "count": 1})["ids"]
        deadline = time.monotonic() + 20
        while "is_archived" not in str(server.records("workspaces")):
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.2)
        server.slash(browser, "status")
        held = server.wait_ephemeral(browser, ADMIN, 2)["text"]
        assert "Posting is on hold" in held and "archived" in held and "Messages waiting: 1" in held
        browser.post(f"{server.slack_base}/_control/channels", json={"channel": "C0FINANCE", "is_archived": False})
        server.slash(browser, "resume")
        assert "Resumed" in server.wait_ephemeral(browser, ADMIN, 3)["text"]
        server.wait_quiet()
        assert str(server.history(browser, "C0FINANCE")).count(ref) == 1  # kept, then posted once
    finally:
        server.stop()
