"""The multi-workspace mode: 'Add to Slack' through the Slack stand-in, then the whole connect flow
with the installed workspace's own token."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from harness.server import connect, free_port, start_server, start_stand_in, submit_first_form


@pytest.mark.parametrize("enterprise_id", [None, "E0GRID"])
def test_install_then_connect_with_the_installed_token(tmp_path: Path, enterprise_id: str | None) -> None:
    """Also for a workspace of an Enterprise Grid org, whose install is stored under its enterprise id."""
    app_port, slack_port = free_port(), free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    slack_base = f"http://127.0.0.1:{slack_port}/sandbox/slack"
    stand_in = start_stand_in("slack", slack_port, app_url, tmp_path)
    env = {
        "SLACK_CLIENT_ID": "sandbox-slack-client",
        "SLACK_CLIENT_SECRET": "sandbox-slack-secret",
        "SLACK_SIGNING_SECRET": "sandbox-signing-secret",
        "SLACK_API_URL": f"{slack_base}/api/",
        "SLACK_AUTHORIZE_URL": f"{slack_base}/oauth/v2/authorize",
        "PUBLIC_URL": app_url,
        "TOKEN_ENCRYPTION_KEY": "n2vFfI9aCl2yCYVh4G3N7s2Wq4R9ZjL0ZbqK4mJX8mQ=",  # required with real credentials
    }
    server = start_server(tmp_path, env, port=app_port, slack_base=slack_base)
    try:
        with httpx.Client(timeout=20) as client:
            client.post(f"{slack_base}/_control/workspace", json={"enterprise_id": enterprise_id})
            server.slash(client, "help")  # not installed yet: bolt says so instead of failing silently
            assert "Ask an admin to install it again" in server.wait_ephemeral(client, "U0DEMO", 1)["text"]

            install = client.get(f"{app_url}/slack/install")
            assert install.status_code == 302
            assert install.headers["location"].startswith(f"{slack_base}/oauth/v2/authorize?")
            cookie = install.headers["set-cookie"].split(";", 1)[0]  # Secure: httpx would not send it over http
            approved = submit_first_form(client, install.headers["location"])
            assert approved.status_code == 303
            callback = approved.headers["location"]
            assert callback.startswith(f"{app_url}/slack/oauth_redirect?code=")
            done = client.get(callback, headers={"Cookie": cookie})
            assert done.status_code == 200 and "slack://app?team=T0DEMO" in done.text, done.text

            with sqlite3.connect(server.db_path) as db:
                assert db.execute("SELECT enterprise_id FROM slack_bots").fetchone()[0] == enterprise_id
                stored = [row[0] for row in db.execute("SELECT bot_token FROM slack_bots")]
                stored += [row[0] for row in db.execute("SELECT bot_token FROM slack_installations")]
            assert stored and all(t.startswith("fernet:") and "xoxb" not in t for t in stored)  # encrypted at rest

            again = client.get(callback, headers={"Cookie": cookie})  # the state is spent: refused
            assert again.status_code in (400, 401)

            connect(server, client)  # activate, consent, overview: all with the installed token
            overview = [m for m in server.history(client) if m["text"].startswith("Ponto connected: 3 accounts")]
            assert len(overview) == 1
    finally:
        server.stop()
        stand_in.terminate()
        stand_in.wait(timeout=10)
