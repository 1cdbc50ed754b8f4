"""Several processes on one PostgreSQL: two web processes that only serve (the stand-ins' webhooks and events
take turns between them, as behind a load balancer) and workers that are killed with SIGKILL every few
seconds and restarted, while many organizations get new lines, Ponto fails a fifth of its calls (500, 429
with Retry-After, truncated bodies, calls slower than the timeout) and Slack a tenth of its posts.
Checked from the stand-ins' own records and the database: every line stored once, every message posted
once and in queue order per channel, no organization synced by two workers at once, no refresh token
presented twice; SIGTERM at the end leaves nothing half done; /healthz and /metrics follow.

`make reliability` runs the full size (50 organizations, 3 workers, 5 rounds); `make test` a short one."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from harness.server import (
    Server,
    Services,
    connect,
    free_port,
    install_in_team,
    refs_in_channel,
    stand_ins_as_processes,
    start_worker,
)
from tests.support.databases import postgres_database

KEY = "n2vFfI9aCl2yCYVh4G3N7s2Wq4R9ZjL0ZbqK4mJX8mQ="
LONG = os.environ.get("RELIABILITY") == "1"
WEB = 2
WORKERS = 3 if LONG else 2
ORGANIZATIONS = 50 if LONG else 4  # the demo organization and generated ones, each in its own Slack team
ROUNDS = 5 if LONG else 2
LINES = 24 if LONG else 30  # new lines per organization per round
KILL_EVERY = (3.0, 8.0)  # seconds between two kills, drawn at random
API = "accounts|synchronizations"  # the resource API (the token endpoint is left alone: see the issue note)
PONTO_FAULTS = [  # 20 % of the calls
    {"path": API, "status": 500, "rate": 0.06},
    {"path": API, "status": 429, "retry_after": 1, "rate": 0.06},
    {"path": API, "truncate": True, "rate": 0.04},
    {"path": API, "delay": 3, "rate": 0.04},  # longer than PONTO_TIMEOUT_SECONDS below: a timeout
]
SLACK_FAULTS = [  # 10 % of the posts and edits
    {"method": method, **fault}
    for method in ("chat.postMessage", "chat.update")
    for fault in ({"status": 429, "retry_after": 1, "rate": 0.05}, {"status": 500, "rate": 0.05})
]


def rows(url: str, sql: str) -> list[Any]:
    import asyncpg

    async def fetch() -> list[Any]:
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        try:
            return list(await connection.fetch(sql))
        finally:
            await connection.close()

    return asyncio.run(fetch())


def wait(condition: Callable[[], bool], timeout: float, what: str, why: Callable[[], str] = str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; {why()}")
        time.sleep(0.5)


def stuck(url: str) -> str:
    """What the database says about connections that are not healthy, and messages not posted."""
    states = rows(
        url,
        "SELECT c.id, c.status, s.failures, s.last_error, s.lease_owner, s.next_sync_at FROM ponto_connections c "
        "JOIN sync_states s ON s.connection_id = c.id WHERE c.status <> 'active' OR s.failures > 0 "
        "OR s.lease_owner IS NOT NULL",
    )
    waiting = rows(url, "SELECT status, count(*) AS n FROM outbox WHERE status <> 'sent' GROUP BY status")
    return f"connections: {[dict(r) for r in states]}; outbox: {[dict(r) for r in waiting]}"


def counter(text: str, name: str) -> float:
    """The sum of a counter's samples (every label) in a /metrics body."""
    return sum(float(v) for v in re.findall(rf"^{name}_total(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE))


@dataclass
class Tenant:
    team: str
    organization: str
    account: str
    added: list[str] = field(default_factory=list)


@dataclass
class Fleet:
    """The worker processes, and a thread that kills one with SIGKILL every few seconds and starts another."""

    workdir: Path
    env: dict[str, str]
    url: str
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: dict[int, Path] = field(default_factory=dict)
    started: int = 0
    kills: list[tuple[float, str]] = field(default_factory=list)  # when, and the owner name of the killed
    freed_after: list[float] = field(default_factory=list)  # from a kill to its leases given up
    after_refresh: int = 0  # kills whose last Ponto call was a refresh Ponto had answered
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self, *args: str) -> None:
        with self.lock:
            self.workers.append(start_worker(self.workdir, self.env, f"worker{self.started}", *args))
            self.logs[self.workers[-1].pid] = self.workdir / f"worker{self.started}.log"
            self.started += 1

    def all_running(self) -> bool:
        """Every worker past its start (its loops running, its signal handlers in place)."""
        with self.lock:
            return all(f"worker {owner_of(w.pid)} started" in self.logs[w.pid].read_text() for w in self.workers)

    def kill_one(self, rng: random.Random) -> None:
        """Prefer a worker holding a lease (in the middle of a sync or a delivery), as the worst moment."""
        holders = {r["owner"] for r in rows(self.url, LEASES)}
        with self.lock:
            busy = [w for w in self.workers if owner_of(w.pid) in holders]
            victim = rng.choice(busy or self.workers)
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=10)
            self.workers.remove(victim)
            self.kills.append((time.monotonic(), owner_of(victim.pid)))
            last_call = [line for line in self.logs[victim.pid].read_text().splitlines() if "HTTP Request" in line]
            if last_call and "/oauth2/token" in last_call[-1] and '200 OK"' in last_call[-1]:
                self.after_refresh += 1  # Ponto had rotated a refresh token; was the new one stored yet?
        self.start()
        if owner_of(victim.pid) in holders:
            killed_at, owner = self.kills[-1]
            while owner in {r["owner"] for r in rows(self.url, LEASES)}:
                if self.stop.wait(0.2):
                    return
            self.freed_after.append(time.monotonic() - killed_at)

    def keep_killing(self) -> None:
        rng = random.Random(2026)
        while not self.stop.wait(rng.uniform(*KILL_EVERY)):
            self.kill_one(rng)


LEASES = (
    "SELECT lease_owner AS owner FROM sync_states WHERE lease_until IS NOT NULL "
    "UNION SELECT lease_owner FROM outbox WHERE lease_until IS NOT NULL"
)


def owner_of(pid: int) -> str:
    return f"{os.uname().nodename}:{pid}"


def add_lines(client: httpx.Client, services: Services, tenants: list[Tenant], count: int) -> None:
    """New lines at every organization's bank, each followed by Ponto's webhook to the app."""
    for n, tenant in enumerate(tenants):
        body = {"account_id": tenant.account, "count": count, "seed": len(tenant.added) * 1000 + n}
        response = client.post(f"{services.ponto_base}/_control/transactions", json=body)
        assert response.status_code in (200, 201), response.text
        tenant.added += response.json()["ids"]


def missing(server: Server, client: httpx.Client, tenants: list[Tenant]) -> int:
    return sum(len(set(t.added) - set(refs_in_channel(server, client, t.team))) for t in tenants)


def settled(url: str) -> bool:
    """Every connection synced and released, nothing waiting to be posted."""
    synced = rows(url, "SELECT count(*) AS n FROM sync_states WHERE initial_import_done AND lease_until IS NULL")
    connections = rows(url, "SELECT count(*) AS n FROM ponto_connections WHERE status = 'active'")
    waiting = rows(url, "SELECT count(*) AS n FROM outbox WHERE status = 'pending'")
    return synced[0]["n"] == connections[0]["n"] == ORGANIZATIONS and waiting[0]["n"] == 0


def reconnect_broken(url: str, web: Server, client: httpx.Client, tenants: list[Tenant], done: list[str]) -> None:
    """A connection Ponto refused (a spent refresh token) is connected again, as its admin would when the
    channel says so: a worker killed after Ponto rotated its refresh token and before the new one was
    stored leaves the organization to re-link (Ponto invalidates a refresh token on use)."""
    broken = rows(
        url,
        "SELECT w.team_id FROM ponto_connections c JOIN workspaces w ON w.id = c.workspace_id "
        "WHERE c.status = 'broken'",
    )
    for row in broken:
        tenant = next(t for t in tenants if t.team == row["team_id"])
        for attempt in range(5):  # Ponto fails some calls meanwhile, the callback's among them
            try:
                connect(web, client, team=tenant.team, organization=tenant.organization, settle=False)
                break
            except AssertionError:
                if attempt == 4:
                    raise
        done.append(tenant.team)


def make_tenants(client: httpx.Client, services: Services) -> list[Tenant]:
    """The demo organization in the default team, and generated ones, each in a Slack team of its own."""
    generated = client.post(f"{services.ponto_base}/_control/organizations", json={"count": ORGANIZATIONS - 1})
    state = client.get(f"{services.ponto_base}/_control/state").json()
    tenants = [Tenant("T0DEMO", state["organization"], next(iter(state["accounts"])))]
    for n, org in enumerate(generated.json()["organizations"], start=1):
        tenants.append(Tenant(f"T0ORG{n:03d}", org["id"], org["accounts"][0]))
        made = {"team": tenants[-1].team, "team_name": org["name"]}
        assert client.post(f"{services.slack_base}/_control/workspace", json=made).status_code == 200
    return tenants


def stop_everything_with_work_in_flight(fleet: Fleet, webs: list[Server]) -> bool:
    """SIGTERM to every process as soon as work is under way: what is in flight finishes, every lease is
    given back, nothing is left half done. Returns whether work was in flight."""
    deadline = time.monotonic() + 10
    while not (in_flight := bool(rows(fleet.url, LEASES))) and time.monotonic() < deadline:
        time.sleep(0.02)
    for process in [*fleet.workers, *(web.process for web in webs)]:
        process.send_signal(signal.SIGTERM)
    codes = [process.wait(timeout=90) for process in fleet.workers]
    assert codes == [0] * len(codes), [p.read_text()[-3000:] for p in fleet.workdir.glob("worker*.log")]
    for web in webs:  # uvicorn shuts down, then raises the signal again for whoever started it
        assert web.process.wait(timeout=30) == -signal.SIGTERM
        assert "Application shutdown complete" in web.log()
    assert not rows(fleet.url, LEASES)
    beating = {r["owner"] for r in rows(fleet.url, "SELECT owner FROM heartbeats")}
    assert beating <= {owner for _, owner in fleet.kills}  # only the killed could not say goodbye
    return in_flight


def test_web_and_worker_processes_share_the_work_through_kills_and_faults(tmp_path: Path) -> None:
    started_at = time.monotonic()
    with (
        postgres_database() as url,
        stand_ins_as_processes(tmp_path, KEY, "--webhooks", web_processes=WEB) as services,
        httpx.Client(timeout=30) as client,
    ):
        tenants = make_tenants(client, services)
        metrics_dir = tmp_path / "metrics"
        metrics_dir.mkdir()
        settings = {
            **{k: v for k, v in services.env.items() if k != "SLACK_BOT_TOKEN"},
            "SLACK_CLIENT_ID": "sandbox-slack-client",  # the multi-workspace mode: a token per team
            "SLACK_CLIENT_SECRET": "sandbox-slack-secret",
            "SLACK_AUTHORIZE_URL": f"{services.slack_base}/oauth/v2/authorize",
            "DATABASE_URL": url,
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),  # /metrics of a web process adds up every process
            "DIGEST_THRESHOLD": "100000",  # one message per line: ordering is visible line by line
            "SLACK_MESSAGES_PER_SECOND": "200",
            "PONTO_TIMEOUT_SECONDS": "2",
            "SYNC_INTERVAL_MINUTES": "0.5",  # so a sync that failed is tried again within half a minute
        }
        fleet = Fleet(tmp_path, settings, url)
        metrics_port = free_port()  # one worker's own /metrics, as on a host of its own
        fleet.start("--metrics-port", str(metrics_port))
        for _ in range(1, WORKERS):
            fleet.start()  # all starting together: migrations and slack_sdk's tables under one lock
        webs = [services.start(tmp_path, settings, "--no-worker", web=n) for n in range(WEB)]
        killer: threading.Thread | None = None
        try:
            wait(lambda: client.get(f"{webs[0].url}/healthz").json()["workers"] == WORKERS, 60, "heartbeats")
            for n, tenant in enumerate(tenants):
                web = webs[n % WEB]
                install_in_team(client, web, tenant.team)
                connect(web, client, team=tenant.team, organization=tenant.organization, settle=False)
            wait(lambda: settled(url), 60 + 3 * ORGANIZATIONS, "every first sync, its messages posted by a worker")
            worker_metrics = client.get(f"http://127.0.0.1:{metrics_port}/metrics").text
            assert 'ponto_slack_syncs_total{result="ok"}' in worker_metrics

            # From here: access tokens of 5 s (each refresh token usable once), faults, kills.
            tokens = {"access_token_ttl": 5, "expire_access_tokens": True}
            assert client.post(f"{services.ponto_base}/_control/tokens", json=tokens).status_code == 200
            for fault in PONTO_FAULTS:
                assert client.post(f"{services.ponto_base}/_control/faults", json=fault).status_code == 201
            for fault in SLACK_FAULTS:
                assert client.post(f"{services.slack_base}/_control/faults", json=fault).status_code == 201
            before = client.get(f"{webs[1].url}/metrics").text
            killer = threading.Thread(target=fleet.keep_killing, daemon=True)
            killer.start()
            rounds: list[float] = []
            reconnects: list[str] = []
            healed = partial(reconnect_broken, url, webs[0], client, tenants, reconnects)
            for _round in range(ROUNDS):
                began = time.monotonic()
                add_lines(client, services, tenants, LINES)
                wait(
                    lambda: healed() or not missing(webs[0], client, tenants),
                    600,
                    "the round's lines",
                    why=partial(stuck, url),
                )
                rounds.append(time.monotonic() - began)
            fleet.stop.set()
            killer.join(timeout=180)
            wait(fleet.all_running, 60, "the last restart")

            add_lines(client, services, tenants, LINES)
            in_flight = stop_everything_with_work_in_flight(fleet, webs)
            fleet.workers.clear()
            fleet.start()  # a fresh worker finishes the batch
            webs = [services.start(tmp_path, settings, "--no-worker", web=n) for n in range(WEB)]
            client.delete(f"{services.ponto_base}/_control/faults")
            client.delete(f"{services.slack_base}/_control/faults")
            healed = partial(reconnect_broken, url, webs[0], client, tenants, reconnects)
            wait(lambda: healed() or not missing(webs[0], client, tenants), 300, "the last batch after the restart")
            wait(lambda: settled(url), 120, "nothing left to do")

            ponto = client.get(f"{services.ponto_base}/_control/state").json()
            after = client.get(f"{webs[1].url}/metrics").text
            health = client.get(f"{webs[0].url}/healthz").json()
            refs = {t.team: refs_in_channel(webs[0], client, t.team) for t in tenants}
            stored = {r["ponto_id"] for r in rows(url, "SELECT ponto_id FROM bank_transactions")}
            twice = rows(url, "SELECT ponto_id FROM bank_transactions GROUP BY ponto_id HAVING count(*) > 1")
            sent = rows(url, "SELECT workspace_id, slack_ts FROM outbox WHERE status = 'sent' ORDER BY id")
        finally:
            fleet.stop.set()
            if killer is not None:
                killer.join(timeout=30)
            for process in [*fleet.workers, *(web.process for web in webs)]:
                process.send_signal(signal.SIGTERM)
            for process in [*fleet.workers, *(web.process for web in webs)]:
                process.wait(timeout=90)

    added = [line for t in tenants for line in t.added]
    duplicates = sum(len(r) - len(set(r)) for r in refs.values())
    lost = sum(len(set(t.added) - set(refs[t.team])) for t in tenants) + len(set(added) - stored)
    print(
        f"\nscale-out on PostgreSQL: {WEB} web and {WORKERS} worker processes, {ORGANIZATIONS} organizations, "
        f"{len(added)} new lines in {ROUNDS} rounds and a last batch (SIGTERM with work in flight: {in_flight}), "
        f"{len(fleet.kills)} SIGKILLs, "
        f"{ponto['runs']} sync runs; duplicates {duplicates}, lost {lost}; {len(reconnects)} organization(s) "
        f"connected again after a kill between Ponto's refresh answer and its commit ({fleet.after_refresh} such "
        f"kills); "
        f"a killed worker's leases freed in {max(fleet.freed_after, default=0):.1f} s at most "
        f"({len(fleet.freed_after)} of the kills held one); rounds took {', '.join(f'{r:.0f}' for r in rounds)} s; "
        f"{time.monotonic() - started_at:.0f} s in all"
    )
    assert duplicates == 0 and lost == 0 and not twice
    for workspace in {r["workspace_id"] for r in sent}:  # posted in queue order, channel by channel
        in_queue_order = [r["slack_ts"] for r in sent if r["workspace_id"] == workspace]
        assert in_queue_order == sorted(in_queue_order)
    if ponto["overlapping_runs"]:
        for org, r1, r2 in ponto["overlapping_runs"]:
            print("OVERLAP", r1, ponto["run_windows"][f"{org}/{r1}"], r2, ponto["run_windows"][f"{org}/{r2}"])
        print("KILLS (monotonic time, owner)", fleet.kills)
    assert ponto["overlapping_runs"] == [] and ponto["runs"] > ORGANIZATIONS  # each organization one at a time
    # No live process ever presented a refresh token already spent: each one presented again was left by a
    # worker killed right after Ponto rotated it, and its organization was connected again.
    assert ponto["refresh_token_reuses"] == len(reconnects) <= fleet.after_refresh
    assert fleet.kills and health["status"] == "ok" and health["outbox"]["waiting"] == 0
    moved = counter(after, "ponto_slack_transactions_stored") - counter(before, "ponto_slack_transactions_stored")
    assert moved == len(added)
