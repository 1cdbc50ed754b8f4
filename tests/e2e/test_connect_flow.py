"""The real server as a process, driven over HTTP like a person at the stand-in pages would."""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from cryptography.fernet import Fernet

from harness.server import Server, connect, key_dir_of, query_of, start_server, submit_first_form
from sandbox.ponto import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from sandbox.slack_state import DEFAULT_SIGNING_SECRET

ADMIN, VIEWER = "U0DEMO", "U0VIEWER"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("server"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=20, follow_redirects=False) as client:
        yield client


def consent_url(server: Server, browser: httpx.Client, user: str = ADMIN) -> str:
    """Type `/ponto activate` and return the link of the button in the private answer."""
    before = len(server.ephemerals(browser, user))
    server.slash(browser, "activate", user=user)
    message = server.wait_ephemeral(browser, user, before + 1)
    buttons = [b["accessory"] for b in message["blocks"] if b.get("accessory", {}).get("type") == "button"]
    assert buttons, f"no link button in {message}"
    return str(buttons[0]["url"])


def approve(server: Server, browser: httpx.Client, url: str) -> str:
    """Submit the stand-in's consent form as served; return where Ponto redirects the browser."""
    response = submit_first_form(browser, url)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def test_activate_consent_and_overview_in_channel(server: Server, browser: httpx.Client) -> None:
    url = consent_url(server, browser)
    params = query_of(url)
    assert url.startswith(f"{server.url}/sandbox/ponto/oauth2/auth?")
    assert params["scope"] == "ai pi name offline_access"
    assert params["code_challenge_method"] == "S256" and params["redirect_uri"] == f"{server.url}/ponto/callback"

    callback = approve(server, browser, url)
    page = browser.get(callback)
    assert page.status_code == 200, page.text
    assert "Ponto is connected" in page.text
    for iban in ("BE50 7370 1234 5618", "BE15 0017 6543 2130", "BE56 3631 2345 6788"):
        assert iban in page.text

    overview = server.wait_history(browser, 1)[-1]  # the oldest message
    text = json.dumps(overview["blocks"])
    assert overview["text"].startswith("Ponto connected: 3 accounts of Demo Company BV")
    assert "BE50 7370 1234 5618" in text and "12.840,55" in text and "US$" in text
    assert overview["metadata"]["event_type"] == "ponto_slack_outbox"

    # The private message that carried the one-time link now says what it led to.
    link_message = next(e for e in server.ephemerals(browser, ADMIN) if e["text"].startswith(":white_check_mark:"))
    assert link_message["text"].startswith(":white_check_mark: Connected Demo Company BV: 3 account(s).")
    assert link_message["replaced"] == 1 and "consent_link" not in str(link_message["blocks"])

    # The same callback address a second time is a reused state: refused, nothing changes.
    before = server.snapshot()
    again = browser.get(callback)
    assert again.status_code == 400 and "already used" in again.text
    assert server.snapshot() == before
    code, state = query_of(callback)["code"], query_of(callback)["state"]
    assert "/ponto/callback" in server.log()  # the access log has the request, with its secrets redacted
    assert code not in server.log() and state not in server.log()


@pytest.fixture
def connected(server: Server, browser: httpx.Client) -> Server:
    """The module's server with Ponto connected, whichever test ran first (each test passes alone)."""
    if not any(c["status"] == "active" for c in server.records("ponto_connections")):
        connect(server, browser)
    return server


def test_tokens_are_encrypted_at_rest_and_usable(connected: Server, browser: httpx.Client) -> None:
    server = connected
    server.wait_history(browser, 1)
    (stored,) = server.records("ponto_connections")
    (key_file,) = key_dir_of(server.workdir).glob("app.db-*.key")  # generated outside the database's folder
    assert not list(server.workdir.glob("*.key")) and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(server.db_path.stat().st_mode) == 0o600  # the database is private too
    key = key_file.read_text().strip()
    access = Fernet(key.encode()).decrypt(stored["access_token_enc"].encode()).decode()
    refresh = Fernet(key.encode()).decrypt(stored["refresh_token_enc"].encode()).decode()
    # The plaintext is a working token, and it appears nowhere in the database file.
    info = httpx.get(f"{server.url}/sandbox/ponto/api/userinfo", headers={"Authorization": f"Bearer {access}"})
    assert info.status_code == 200 and info.json()["name"] == "Demo Company BV"
    raw = b"".join(p.read_bytes() for p in server.workdir.glob("app.db*"))
    assert access.encode() not in raw and refresh.encode() not in raw
    assert access not in server.log() and refresh not in server.log()


def test_status_and_help(connected: Server, browser: httpx.Client) -> None:
    server = connected
    server.wait_history(browser, 1)
    count = len(server.ephemerals(browser, VIEWER))
    server.slash(browser, "status", user=VIEWER)
    status = server.wait_ephemeral(browser, VIEWER, count + 1)
    assert "Demo Company BV" in status["text"] and "3 account(s)" in status["text"]
    server.slash(browser, "frobnicate", user=VIEWER)
    unknown = server.wait_ephemeral(browser, VIEWER, count + 2)
    assert "I don't know `/ponto frobnicate`" in unknown["text"] and "/ponto activate" in unknown["text"]
    assert "Did you mean" not in unknown["text"]  # nothing is close to it
    server.slash(browser, "statsu", user=VIEWER)
    typo = server.wait_ephemeral(browser, VIEWER, count + 3)
    assert "I don't know `/ponto statsu`. Did you mean `/ponto status`?" in typo["text"]


def test_non_admin_cannot_activate(server: Server, browser: httpx.Client) -> None:
    states_before = server.rows("oauth_states")
    count = len(server.ephemerals(browser, VIEWER))
    server.slash(browser, "activate", user=VIEWER)
    answer = server.wait_ephemeral(browser, VIEWER, count + 1)
    assert "Only Slack workspace admins" in answer["text"]
    assert all(b.get("accessory", {}).get("url") is None for b in answer["blocks"])
    assert server.rows("oauth_states") == states_before


@pytest.mark.parametrize(
    "case",
    ["access_denied", "missing_code", "unknown_state", "tampered_state", "expired_state"],
)
def test_bad_callbacks_get_a_page_and_change_nothing(server: Server, browser: httpx.Client, case: str) -> None:
    url = consent_url(server, browser)
    state = query_of(url)["state"]
    if case == "expired_state":
        server.execute("UPDATE oauth_states SET expires_at = '2020-01-01 00:00:00.000000' WHERE consumed_at IS NULL")
    before = server.snapshot()
    callback = approve(server, browser, url)
    code = query_of(callback)["code"]
    target = {
        "access_denied": {"error": "access_denied", "error_description": "The user denied access.", "state": state},
        "missing_code": {"state": state},
        "unknown_state": {"code": code, "state": "not-a-state-we-issued"},
        "tampered_state": {"code": code, "state": state[:-1] + ("A" if state[-1] != "A" else "B")},
        "expired_state": {"code": code, "state": state},
    }[case]
    page = browser.get(f"{server.url}/ponto/callback?{urlencode(target)}")
    assert page.status_code == 400
    assert "/ponto activate" in page.text  # says what to do next
    expected_title = {
        "access_denied": "Nothing was connected",
        "missing_code": "This link is incomplete",
        "unknown_state": "This link is not valid",
        "tampered_state": "This link is not valid",
        "expired_state": "This link has expired",
    }[case]
    assert expected_title in page.text
    assert server.snapshot() == before


def _signed(body: str, secret: str, timestamp: int) -> dict[str, str]:
    import hashlib
    import hmac

    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


COMMAND = urlencode(
    {
        "team_id": "T0DEMO",
        "user_id": ADMIN,
        "channel_id": "C0FINANCE",
        "command": "/ponto",
        "text": "activate",
        "response_url": "http://127.0.0.1:9/unused",
        "trigger_id": "1.2.3",
    }
)


@pytest.mark.parametrize(
    ("secret", "age"),
    [("forged-secret", 0), (DEFAULT_SIGNING_SECRET, 600)],
    ids=["forged_signature", "stale_timestamp"],
)
def test_unsigned_slack_requests_are_refused(server: Server, browser: httpx.Client, secret: str, age: int) -> None:
    before = server.snapshot()
    response = browser.post(
        f"{server.url}/slack/events", content=COMMAND, headers=_signed(COMMAND, secret, int(time.time()) - age)
    )
    assert response.status_code == 401
    assert server.snapshot() == before


def test_correctly_signed_request_is_accepted(server: Server, browser: httpx.Client) -> None:
    """The counterpart of the refusals above: the same body, signed right and fresh, gets through."""
    body = COMMAND.replace("activate", "help")
    response = browser.post(
        f"{server.url}/slack/events", content=body, headers=_signed(body, DEFAULT_SIGNING_SECRET, int(time.time()))
    )
    assert response.status_code == 200


def test_deactivate_revokes_deletes_tokens_and_tells_the_channel(tmp_path: Path, browser: httpx.Client) -> None:
    server = start_server(tmp_path)
    try:
        callback = approve(server, browser, consent_url(server, browser))
        assert browser.get(callback).status_code == 200
        server.wait_history(browser, 1)
        key = server.token_keys()
        refresh_enc = server.records("ponto_connections")[0]["refresh_token_enc"]
        refresh = Fernet(key.encode()).decrypt(refresh_enc.encode()).decode()

        count = len(server.ephemerals(browser, VIEWER))
        server.slash(browser, "deactivate", user=VIEWER)
        assert "Only Slack workspace admins" in server.wait_ephemeral(browser, VIEWER, count + 1)["text"]

        count = len(server.ephemerals(browser, ADMIN))
        server.slash(browser, "deactivate", user=ADMIN)
        question = server.wait_ephemeral(browser, ADMIN, count + 1)
        assert question["text"].startswith("Disconnect Demo Company BV?")
        assert server.records("ponto_connections")[0]["status"] == "active"  # nothing revoked before the click
        (button,) = [e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert button["action_id"] == "deactivate_confirm" and "confirm" in button
        server.click(browser, question, button["action_id"], ADMIN)
        assert "Disconnected" in server.wait_ephemeral(browser, ADMIN, count + 2)["text"]
        deadline = time.monotonic() + 15
        while not any("disconnected Demo Company BV" in m["text"] for m in server.history(browser)):
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.2)
        (row,) = server.records("ponto_connections")
        assert row["status"] == "disconnected"
        assert row["access_token_enc"] is None and row["refresh_token_enc"] is None
        # Ponto no longer honours the refresh token: it was revoked, not only forgotten.
        spent = httpx.post(
            f"{server.url}/sandbox/ponto/api/oauth2/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh},
            auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        )
        assert spent.status_code == 400 and spent.json()["error"] == "invalid_grant"
    finally:
        server.stop()


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}},
    ],
    ids=["app_uninstalled", "tokens_revoked"],
)
def test_the_app_removed_stops_everything_for_the_workspace(
    tmp_path: Path, browser: httpx.Client, event: dict[str, object]
) -> None:
    server = start_server(tmp_path)
    try:
        connect(server, browser)
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T0DEMO",
                "api_app_id": "A0PONTO",
                "event": event,
                "event_id": "Ev1",
                "event_time": int(time.time()),
            }
        )
        headers = {**_signed(body, DEFAULT_SIGNING_SECRET, int(time.time())), "Content-Type": "application/json"}
        assert browser.post(f"{server.url}/slack/events", content=body, headers=headers).status_code == 200
        deadline = time.monotonic() + 10
        while server.records("ponto_connections")[0]["status"] != "disconnected":
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.1)
        (connection,) = server.records("ponto_connections")
        assert connection["access_token_enc"] is None and connection["refresh_token_enc"] is None
        assert server.records("workspaces")[0]["slack_paused_reason"] == event["type"]
        state = browser.get(f"{server.url}/sandbox/ponto/_control/state").json()
        assert state["revoked_tokens"] == 1  # revoked at Ponto, not only forgotten
    finally:
        server.stop()


def test_the_invoice_api_is_off_without_a_token(server: Server, browser: httpx.Client) -> None:
    for headers in ({}, {"Authorization": "Bearer anything"}):  # no API_TOKEN, no per-workspace token
        off = browser.get(f"{server.url}/api/invoices", headers=headers)
        assert off.status_code == 503 and "set API_TOKEN" in off.json()["error"]
