"""Runs the real `ponto-slack serve` as a process and talks to it over HTTP."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from harness.clock import cli_command


def key_dir_of(workdir: Path) -> Path:
    """Where a server started in `workdir` keeps a generated token key: beside the folder, not in it."""
    return workdir.parent / f"{workdir.name}-keys"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Variables that would switch a side to the real service; a test server must never see them.
REAL_SERVICE_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "PONTO_CLIENT_ID",
    "PONTO_CLIENT_SECRET",
    "TOKEN_ENCRYPTION_KEY",
    "PUBLIC_URL",
    "DATABASE_URL",
    "API_TOKEN",
    "ADMIN_USER_IDS",
)


@dataclass
class Server:
    url: str
    workdir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    slack_base: str = ""  # where the Slack stand-in runs (this server unless it runs alone)
    ponto_base: str = ""

    def __post_init__(self) -> None:
        self.slack_base = self.slack_base or f"{self.url}/sandbox/slack"
        self.ponto_base = self.ponto_base or f"{self.url}/sandbox/ponto"

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, as a crash or an OOM kill would."""
        self.process.kill()
        self.process.wait()

    @property
    def db_path(self) -> Path:
        return self.workdir / "app.db"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def token_keys(self) -> str:
        """The token key(s) the server generated for its database (kept in KEY_DIR, outside the folder)."""
        (key_file,) = key_dir_of(self.workdir).glob("app.db-*.key")
        return key_file.read_text(encoding="ascii").strip()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    # -- Slack stand-in, as a person at the page would use it --------------------------------------

    def slash(
        self, client: httpx.Client, text: str, user: str = "U0DEMO", channel: str = "C0FINANCE", team: str = ""
    ) -> None:
        """`/ponto text` typed by `user` in `channel` (of `team`: the stand-in's default team when empty)."""
        response = client.post(
            f"{self.slack_base}/command",
            data={"text": text, "user": user, "channel": channel, "team": team},
            headers={"Accept": "application/json"},
        )
        response.raise_for_status()

    def ephemerals(self, client: httpx.Client, user: str, team: str = "") -> list[dict[str, Any]]:
        response = client.get(f"{self.slack_base}/_control/ephemeral", params={"user": user, "team": team})
        return list(response.json()["ephemerals"])

    def wait_ephemeral(
        self, client: httpx.Client, user: str, count: int, timeout: float = 10, team: str = ""
    ) -> dict[str, Any]:
        """The user's `count`-th private message, once it has arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            items = self.ephemerals(client, user, team)
            if len(items) >= count:
                return items[count - 1]
            time.sleep(0.1)
        raise AssertionError(f"no private message #{count} for {user}; log:\n{self.log()}")

    def history(self, client: httpx.Client, channel: str = "C0FINANCE", team: str = "") -> list[dict[str, Any]]:
        """Every message of the channel, newest first, as the stand-in holds it (read past the app's scopes)."""
        response = client.get(f"{self.slack_base}/_control/history", params={"channel": channel, "team": team})
        assert response.status_code == 200, response.text
        return list(response.json()["messages"])

    def click(
        self, client: httpx.Client, message: dict[str, Any], action_id: str, user: str, channel: str = "C0FINANCE"
    ) -> None:
        """Press a button of a message (in the channel or private) as `user`; the stand-in signs the click."""
        element = next(
            e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id
        )
        response = client.post(
            f"{self.slack_base}/action",
            headers={"Accept": "application/json"},
            data={
                "user": user,
                "channel": channel,
                "ts": message["ts"],
                "action_id": action_id,
                "value": element["value"],
            },
        )
        response.raise_for_status()

    def wait_history(self, client: httpx.Client, count: int, timeout: float = 15) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.history(client)
            if len(messages) >= count:
                return messages
            time.sleep(0.2)
        raise AssertionError(f"channel has fewer than {count} messages; log:\n{self.log()}")

    # -- the database, read as a person with the file would ------------------------------------------

    def rows(self, table: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db_path) as connection:
            return connection.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()

    def records(self, table: str) -> list[dict[str, Any]]:
        with sqlite3.connect(self.db_path) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(f"SELECT * FROM {table} ORDER BY id")]

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        self.wait_quiet()
        tables = ("workspaces", "ponto_connections", "oauth_states", "bank_accounts", "outbox", "bank_transactions")
        return {table: self.rows(table) for table in tables}

    def wait_quiet(self, timeout: float = 20) -> None:
        """Until every connection has synced once and nothing waits in the outbox."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with sqlite3.connect(self.db_path) as connection:
                unsynced = connection.execute(
                    "SELECT count(*) FROM ponto_connections c LEFT JOIN sync_states s ON s.connection_id = c.id "
                    "WHERE c.status = 'active' AND (s.last_success_at IS NULL OR s.lease_until IS NOT NULL)"
                ).fetchone()[0]
                waiting = connection.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
            if not unsynced and not waiting:
                return
            time.sleep(0.2)
        raise AssertionError(f"the server did not settle; log:\n{self.log()}")

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with sqlite3.connect(self.db_path) as connection:
            connection.execute(sql, params)


def process_env(workdir: Path, env: Mapping[str, str] | None) -> dict[str, str]:
    """What every process of the app started by the tests gets: a database and key in `workdir`."""
    base_env = {k: v for k, v in os.environ.items() if k not in REAL_SERVICE_VARIABLES}
    return {
        **base_env,
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'app.db'}",
        "KEY_DIR": str(key_dir_of(workdir)),  # a generated key lives outside the database's folder
        "PYTHONUNBUFFERED": "1",
        "DAILY_SUMMARY_TIME": "off",
        "SYNC_INTERVAL_MINUTES": "60",
        **(env or {}),
    }


def start_worker(workdir: Path, env: Mapping[str, str], name: str, *args: str) -> subprocess.Popen[bytes]:
    """`ponto-slack worker` as its own process, logging to `workdir/<name>.log`."""
    log_file = (workdir / f"{name}.log").open("ab")
    return subprocess.Popen(
        cli_command("worker", *args),
        cwd=workdir,
        env=process_env(workdir, env),
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )


def start_server(
    workdir: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 40,
    *,
    port: int | None = None,
    slack_base: str = "",
    ponto_base: str = "",
    args: Sequence[str] = (),
    log_name: str = "server",
) -> Server:
    port = port or free_port()
    full_env = process_env(workdir, env)
    log_path = workdir / f"{log_name}.log"
    log_file = log_path.open("ab")
    process = subprocess.Popen(
        cli_command("serve", "--port", str(port), *args),
        cwd=workdir,
        env=full_env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    server = Server(f"http://127.0.0.1:{port}", workdir, process, log_path, slack_base, ponto_base)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"server did not become healthy in {timeout}s:\n{server.log()}")


class _FormParser(HTMLParser):
    """Reads the first form of a page as a browser would submit it with its first button."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.button: tuple[str, str] | None = None
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if self._done:
            return
        if tag == "form":
            self._in_form, self.action = True, values.get("action", "")
        elif self._in_form and tag == "input" and values.get("type") == "hidden":
            self.fields[values["name"]] = values.get("value", "")
        elif self._in_form and tag == "button" and values.get("type", "submit") == "submit" and self.button is None:
            if "name" in values:
                self.button = (values["name"], values.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def submit_first_form(client: httpx.Client, page_url: str, **choices: str) -> httpx.Response:
    """GET a page and submit its first form with the first submit button, as served (with `choices` for
    the fields a person would pick, such as a select)."""
    page = client.get(page_url)
    page.raise_for_status()
    parser = _FormParser()
    parser.feed(page.text)
    form = {**dict(parser.fields), **choices}
    if parser.button:
        form[parser.button[0]] = parser.button[1]
    action = parser.action or page_url.split("?", 1)[0]
    if not action.startswith("http"):
        action = str(httpx.URL(page_url).join(action))
    return client.post(action, data=form)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def connect(
    server: Server,
    client: httpx.Client,
    user: str = "U0DEMO",
    channel: str = "C0FINANCE",
    *,
    settle: bool = True,
    team: str = "",
    organization: str = "",
) -> None:
    """/ponto activate, approve at the Ponto stand-in, come back: the whole consent, as a person does it
    (in `team`, sharing `organization`: the stand-ins' defaults when empty).

    With `settle`, returns once the first sync is done and every message delivered."""
    before = len(server.ephemerals(client, user, team))
    server.slash(client, "activate", user=user, channel=channel, team=team)
    message = server.wait_ephemeral(client, user, before + 1, team=team)
    url = next(b["accessory"]["url"] for b in message["blocks"] if b.get("accessory", {}).get("url"))
    redirect = submit_first_form(client, url, **({"organization": organization} if organization else {}))
    assert redirect.status_code == 303, redirect.text
    page = client.get(redirect.headers["location"])
    assert page.status_code == 200, page.text
    if settle:
        server.wait_quiet()


def install_in_team(client: httpx.Client, server: Server, team: str) -> None:
    """'Add to Slack' from `server` into `team`, approved at the Slack stand-in (the multi-workspace mode)."""
    install = client.get(f"{server.url}/slack/install")
    assert install.status_code == 302, install.text
    cookie = install.headers["set-cookie"].split(";", 1)[0]  # Secure: httpx would not send it over http
    approved = submit_first_form(client, f"{install.headers['location']}&{urlencode({'team': team})}")
    assert approved.status_code == 303, approved.text
    done = client.get(approved.headers["location"], headers={"Cookie": cookie})
    assert done.status_code == 200 and f"team={team}" in done.text, done.text


def ponto_control(server: Server, client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{server.ponto_base}/_control/{path}", json=body)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def refs_in_channel(server: Server, client: httpx.Client, team: str = "") -> list[str]:
    """The Ponto ids carried by the channel's messages, oldest first."""
    refs = []
    for message in reversed(server.history(client, team=team)):
        ref = ((message.get("metadata") or {}).get("event_payload") or {}).get("ref")
        if ref:
            refs.append(str(ref))
    return refs


def stand_ins_as_real_services(app_url: str, ponto_base: str, slack_base: str, key: str) -> dict[str, str]:
    """The server's configuration when the stand-ins run as their own processes and count as the real
    services (credentials set, so a token key is required)."""
    return {
        "PONTO_CLIENT_ID": "sandbox-client",
        "PONTO_CLIENT_SECRET": "sandbox-secret",
        "PONTO_API_URL": f"{ponto_base}/api",
        "PONTO_AUTH_URL": f"{ponto_base}/oauth2/auth",
        "PONTO_WEBHOOK_KEYS_URL": f"{ponto_base}/webhooks/keys",
        "PONTO_APPLICATION_ID": "sandbox-application",
        "SLACK_BOT_TOKEN": "xoxb-sandbox",
        "SLACK_SIGNING_SECRET": "sandbox-signing-secret",
        "SLACK_API_URL": f"{slack_base}/api/",
        "PUBLIC_URL": app_url,
        "TOKEN_ENCRYPTION_KEY": key,
    }


def start_stand_in(side: str, port: int, app_url: str, workdir: Path, *extra: str) -> subprocess.Popen[bytes]:
    """`ponto-slack sandbox ponto|slack` as its own process, ready when this returns."""
    log = (workdir / f"{side}-stand-in.log").open("ab")
    process = subprocess.Popen(
        cli_command("sandbox", side, "--port", str(port), "--app-url", app_url, *extra),
        cwd=Path(__file__).resolve().parents[1],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if k not in REAL_SERVICE_VARIABLES},
    )
    if listening(port):
        return process
    process.kill()
    raise RuntimeError(f"the {side} stand-in did not start")


def listening(port: int, timeout: float = 30) -> bool:
    """Whether something accepts connections on 127.0.0.1:`port` within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


@dataclass(frozen=True)
class Services:
    """The stand-ins running as their own processes, and what a server needs to use them."""

    app_ports: tuple[int, ...]  # one per web process; the stand-ins deliver to each in turn
    ponto_base: str
    slack_base: str
    env: dict[str, str]  # the server's settings: the stand-ins as the real services

    @property
    def app_port(self) -> int:
        return self.app_ports[0]

    def start(self, workdir: Path, extra: Mapping[str, str] | None = None, *args: str, web: int = 0) -> Server:
        """Web process number `web` (on its own port, logging to server.log, server1.log, ...)."""
        return start_server(
            workdir,
            {**self.env, **(extra or {})},
            port=self.app_ports[web],
            slack_base=self.slack_base,
            ponto_base=self.ponto_base,
            args=args,
            log_name=f"server{web or ''}",
        )


@contextmanager
def stand_ins_as_processes(workdir: Path, key: str, *ponto_options: str, web_processes: int = 1) -> Iterator[Services]:
    """Both stand-ins as processes (as the real services are, so their work never shares the app's event
    loop), stopped on the way out; with several web processes, their webhooks and events take turns."""
    app_ports = tuple(free_port() for _ in range(web_processes))
    ponto_port, slack_port = free_port(), free_port()
    app_url = ",".join(f"http://127.0.0.1:{port}" for port in app_ports)
    ponto_base = f"http://127.0.0.1:{ponto_port}/sandbox/ponto"
    slack_base = f"http://127.0.0.1:{slack_port}/sandbox/slack"
    processes = [start_stand_in("ponto", ponto_port, app_url, workdir, *ponto_options)]
    try:
        processes.append(start_stand_in("slack", slack_port, app_url, workdir))
        env = stand_ins_as_real_services(f"http://127.0.0.1:{app_ports[0]}", ponto_base, slack_base, key)
        yield Services(app_ports, ponto_base, slack_base, env)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
