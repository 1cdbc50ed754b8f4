"""`ponto-slack keys rotate`: a new key first, every stored token re-encrypted, the restarted app uses them.

The stand-ins run as their own processes (as the real services would), so they outlive the app's restart.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from harness.clock import cli_command
from harness.server import (
    connect,
    free_port,
    ponto_control,
    refs_in_channel,
    stand_ins_as_real_services,
    start_server,
    start_stand_in,
)

OLD_KEY = Fernet.generate_key().decode()


def test_rotation_re_encrypts_every_token_and_the_restarted_app_uses_them(tmp_path: Path) -> None:
    app_port, ponto_port, slack_port = free_port(), free_port(), free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    ponto_base = f"http://127.0.0.1:{ponto_port}/sandbox/ponto"
    slack_base = f"http://127.0.0.1:{slack_port}/sandbox/slack"
    stand_ins = [
        start_stand_in("ponto", ponto_port, app_url, tmp_path, "--webhooks"),
        start_stand_in("slack", slack_port, app_url, tmp_path),
    ]
    env = {**stand_ins_as_real_services(app_url, ponto_base, slack_base, OLD_KEY), "DIGEST_THRESHOLD": "1000"}

    def start(key: str):  # type: ignore[no-untyped-def]
        return start_server(
            tmp_path, {**env, "TOKEN_ENCRYPTION_KEY": key}, port=app_port, slack_base=slack_base, ponto_base=ponto_base
        )

    try:
        server = start(OLD_KEY)
        try:
            with httpx.Client(timeout=20) as client:
                connect(server, client)
            before = server.records("ponto_connections")[0]
        finally:
            server.stop()
        done = subprocess.run(
            cli_command("keys", "rotate"),
            env={**os.environ, **env, "DATABASE_URL": f"sqlite+aiosqlite:///{server.db_path}"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "re-encrypted 3 stored secrets" in done.stdout  # access and refresh token, the consent's verifier
        setting = next(line for line in done.stdout.splitlines() if line.startswith("TOKEN_ENCRYPTION_KEY="))
        new_key, kept = setting.split("=", 1)[1].split(",")
        assert kept == OLD_KEY and new_key != OLD_KEY and OLD_KEY not in server.log()
        after = server.records("ponto_connections")[0]
        for column in ("access_token_enc", "refresh_token_enc"):
            assert after[column] != before[column]
            plain = Fernet(OLD_KEY.encode()).decrypt(before[column].encode())
            assert Fernet(new_key.encode()).decrypt(after[column].encode()) == plain  # the new key alone reads it

        server = start(new_key)  # the old key dropped already: nothing needs it any more
        try:
            with httpx.Client(timeout=20) as client:
                account = next(iter(client.get(f"{ponto_base}/_control/state").json()["accounts"]))
                ponto_control(server, client, "tokens", {"expire_access_tokens": True})  # the refresh token is used
                (ref,) = ponto_control(server, client, "transactions", {"account_id": account, "count": 1})["ids"]
                deadline = time.monotonic() + 20
                while ref not in refs_in_channel(server, client):
                    assert time.monotonic() < deadline, server.log()
                    time.sleep(0.2)
        finally:
            server.stop()
    finally:
        for process in stand_ins:
            process.terminate()
            process.wait(timeout=10)


def test_webhooks_answer_503_until_the_application_id_is_set(tmp_path: Path) -> None:
    """With real credentials but no PONTO_APPLICATION_ID there is no audience to check signatures
    against: webhooks are refused as not configured, naming the setting, not accepted unchecked."""
    app_port, closed = free_port(), free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    ponto_base, slack_base = f"http://127.0.0.1:{closed}/ponto", f"http://127.0.0.1:{closed}/slack"
    env = stand_ins_as_real_services(app_url, ponto_base, slack_base, OLD_KEY)
    del env["PONTO_APPLICATION_ID"]
    server = start_server(tmp_path, env, port=app_port, slack_base=slack_base, ponto_base=ponto_base)
    try:
        refused = httpx.post(f"{server.url}/ponto/webhooks", content=b"{}", headers={"Signature": "x.y.z"})
        assert refused.status_code == 503
        assert "set PONTO_APPLICATION_ID" in refused.json()["error"]
    finally:
        server.stop()
