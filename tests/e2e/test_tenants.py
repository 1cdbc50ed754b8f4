"""Two workspaces on one server: an API token reaches its own workspace's invoices and nothing else, and
no answer names the other workspace. (Clicks are scoped to the clicking workspace: tests/worker.)"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.clock import cli_command
from harness.server import Server, connect, key_dir_of, start_server

API_TOKEN = "shared-api-token"


def _invoice(number: str) -> dict[str, str]:
    return {"number": number, "customer": "Acme", "amount": "10.00", "currency": "EUR", "issue_date": "2026-11-01"}


def _token_for(server: Server, team: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{server.db_path}",
        "KEY_DIR": str(key_dir_of(server.workdir)),
    }
    done = subprocess.run(cli_command("tokens", "create", "--team", team), env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir: Path = tmp_path_factory.mktemp("tenants")
    running = start_server(workdir, {"API_TOKEN": API_TOKEN})
    try:
        with httpx.Client(timeout=20) as client:
            connect(running, client)
        running.execute(
            "INSERT INTO workspaces (team_id, finance_channel, created_at) VALUES ('T0OTHER', '#x', '2026-11-01')"
        )
        yield running
    finally:
        running.stop()


def test_each_token_reaches_its_own_workspace_only(server: Server) -> None:
    mine, theirs = _token_for(server, "T0DEMO"), _token_for(server, "T0OTHER")
    url = f"{server.url}/api/invoices"
    assert httpx.post(url, json=[_invoice("MINE-1")], headers={"Authorization": f"Bearer {mine}"}).status_code == 201
    assert (
        httpx.post(url, json=[_invoice("THEIRS-1")], headers={"Authorization": f"Bearer {theirs}"}).status_code == 201
    )
    seen = [i["number"] for i in httpx.get(url, headers={"Authorization": f"Bearer {mine}"}).json()["invoices"]]
    assert "MINE-1" in seen and not any(n.startswith("THEIRS") for n in seen)
    other = httpx.get(url, params={"team": "T0OTHER"}, headers={"Authorization": f"Bearer {mine}"})
    assert other.status_code == 403 and "THEIRS" not in other.text and "T0OTHER" not in other.text
    stored = {(r["number"], r["workspace_id"]) for r in server.records("invoices")}
    assert len({w for _, w in stored}) == 2  # each in its own workspace


def test_the_shared_api_token_refuses_when_there_are_several_workspaces_without_naming_them(server: Server) -> None:
    for params in ({}, {"team": "T0OTHER"}):
        answer = httpx.get(
            f"{server.url}/api/invoices", params=params, headers={"Authorization": f"Bearer {API_TOKEN}"}
        )
        assert answer.status_code == 403, answer.text
        assert "T0DEMO" not in answer.text and "T0OTHER" not in answer.text
    assert httpx.get(f"{server.url}/api/invoices", headers={"Authorization": "Bearer pst_guess"}).status_code == 401


def test_invoices_are_paged_with_a_cursor(server: Server) -> None:
    token = _token_for(server, "T0DEMO")
    auth = {"Authorization": f"Bearer {token}"}
    httpx.post(f"{server.url}/api/invoices", json=[_invoice(f"PAGE-{n:02d}") for n in range(7)], headers=auth)
    numbers, cursor = [], None
    while True:
        page = httpx.get(
            f"{server.url}/api/invoices", params={"limit": 3, **({"cursor": cursor} if cursor else {})}, headers=auth
        ).json()
        numbers += [i["number"] for i in page["invoices"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [n for n in numbers if n.startswith("PAGE-")] == [f"PAGE-{n:02d}" for n in range(7)]
    assert len(numbers) == len(set(numbers))  # nothing twice, nothing skipped
    bad = httpx.get(f"{server.url}/api/invoices", params={"limit": 0}, headers=auth)
    assert bad.status_code == 422 and bad.json()["errors"][0]["location"] == "limit"
