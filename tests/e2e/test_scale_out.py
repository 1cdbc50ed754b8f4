"""Several processes on one PostgreSQL: a web process that only serves and two workers, one of them
killed in the middle of a sync and replaced, while Ponto and Slack fail some calls (500, 429 with
Retry-After, a truncated body). Checked from the stand-ins' and the database's records: every line
stored once, every message posted once and in queue order; /healthz and /metrics follow."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from harness.server import (
    Server,
    connect,
    free_port,
    ponto_control,
    refs_in_channel,
    stand_ins_as_processes,
    start_worker,
)
from tests.support.databases import postgres_database

KEY = "n2vFfI9aCl2yCYVh4G3N7s2Wq4R9ZjL0ZbqK4mJX8mQ="
LONG = os.environ.get("RELIABILITY") == "1"  # `make reliability`: more workers, a kill in every round
WORKERS = 3 if LONG else 2
ROUNDS = 6 if LONG else 1
LINES = 1200  # new lines per round


def rows(url: str, sql: str) -> list[Any]:
    import asyncpg

    async def fetch() -> list[Any]:
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        try:
            return list(await connection.fetch(sql))
        finally:
            await connection.close()

    return asyncio.run(fetch())


def wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def posted_all(server: Server, client: httpx.Client, lines: list[str]) -> bool:
    return set(lines) <= set(refs_in_channel(server, client))


def counter(text: str, name: str) -> float:
    """The sum of a counter's samples (every label) in a /metrics body."""
    return sum(float(v) for v in re.findall(rf"^{name}_total(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE))


def test_a_web_process_and_workers_share_the_work_and_survive_kills(tmp_path: Path) -> None:
    with postgres_database() as url, stand_ins_as_processes(tmp_path, KEY, "--webhooks") as services:
        metrics_dir = tmp_path / "metrics"
        metrics_dir.mkdir()
        settings = {
            "DATABASE_URL": url,
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),  # /metrics of the web process adds up every process
            "DIGEST_THRESHOLD": "100000",  # one message per line: ordering is visible line by line
            "SLACK_MESSAGES_PER_SECOND": "200",
        }
        server = services.start(tmp_path, settings, "--no-worker")
        env = {**services.env, **settings}
        metrics_port = free_port()  # a worker's own /metrics, as on a host of its own
        workers = [start_worker(tmp_path, env, "worker0", "--metrics-port", str(metrics_port))]
        workers += [start_worker(tmp_path, env, f"worker{n}") for n in range(1, WORKERS)]
        started = len(workers)
        killed_pids: list[int] = []
        takeovers: list[float] = []
        added: list[str] = []
        try:
            with httpx.Client(timeout=30) as client:
                wait(lambda: client.get(f"{server.url}/healthz").json()["workers"] == WORKERS, 30, "heartbeats")
                connect(server, client, settle=False)  # the web process only queues: the workers sync and post

                def settled() -> bool:
                    synced = rows(url, "SELECT 1 FROM sync_states WHERE initial_import_done AND lease_until IS NULL")
                    return bool(synced) and not rows(url, "SELECT 1 FROM outbox WHERE status = 'pending'")

                wait(settled, 60, "the first sync, and its messages posted by a worker")
                assert (
                    'ponto_slack_syncs_total{result="ok"}'
                    in client.get(f"http://127.0.0.1:{metrics_port}/metrics").text
                )
                # Access tokens of 5 s from now on: the workers refresh them throughout, each refresh
                # token usable once (Ponto rotates them), so two processes refreshing at once would show.
                tokens = {"access_token_ttl": 5, "expire_access_tokens": True}
                assert client.post(f"{services.ponto_base}/_control/tokens", json=tokens).status_code == 200
                before = client.get(f"{server.url}/metrics").text
                account = next(iter(client.get(f"{services.ponto_base}/_control/state").json()["accounts"]))
                for _round in range(ROUNDS):
                    faults = [  # what the real services do now and then, while the work is under way
                        {"path": "transactions", "status": 500, "count": 2},
                        {"path": "transactions", "status": 429, "retry_after": 1, "count": 2},
                        {"path": "transactions", "truncate": True, "count": 1},
                    ]
                    for fault in faults:
                        assert client.post(f"{services.ponto_base}/_control/faults", json=fault).status_code == 201
                    for slack_fault in ({"status": 429, "retry_after": 1, "count": 3}, {"status": 500, "count": 2}):
                        body = {"method": "chat.postMessage", **slack_fault}
                        assert client.post(f"{services.slack_base}/_control/faults", json=body).status_code == 201
                    new_lines = {"account_id": account, "count": LINES}
                    batch = ponto_control(server, client, "transactions", new_lines)["ids"]
                    added += batch

                    def syncing() -> list[Any]:
                        return rows(url, "SELECT lease_owner FROM sync_states WHERE lease_until IS NOT NULL")

                    wait(lambda: bool(syncing()), 30, "a worker to start the sync the webhook asked for")
                    owner_pid = int(syncing()[0]["lease_owner"].rsplit(":", 1)[1])
                    killed = next(w for w in workers if w.pid == owner_pid)
                    killed.send_signal(signal.SIGKILL)  # in the middle of the sync
                    killed_at = time.monotonic()
                    killed.wait(timeout=10)
                    killed_pids.append(owner_pid)
                    workers.remove(killed)
                    workers.append(start_worker(tmp_path, env, f"worker{started}"))  # takes the lease back at start
                    started += 1
                    wait(partial(posted_all, server, client, batch), 300, "the round's lines posted")
                    takeovers.append(time.monotonic() - killed_at)
                state = client.get(f"{services.ponto_base}/_control/state").json()
                assert state["revoked_tokens"] == 0  # no process ever presented a refresh token already spent
                after = client.get(f"{server.url}/metrics").text
                health = client.get(f"{server.url}/healthz").json()
                refs = refs_in_channel(server, client)

            duplicates = len(refs) - len(set(refs))
            stored = rows(url, "SELECT ponto_id FROM bank_transactions")
            lost = len(set(added) - {r["ponto_id"] for r in stored}) + len(set(added) - set(refs))
            print(
                f"scale-out on PostgreSQL: 1 web and {WORKERS} worker processes, {ROUNDS} SIGKILL(s), "
                f"{len(added)} new lines, duplicates {duplicates}, lost {lost}, "
                f"from a kill to its lines posted {max(takeovers):.1f} s at most"
            )
            assert duplicates == 0 and lost == 0 and len(stored) == len({r["ponto_id"] for r in stored})
            posted = rows(url, "SELECT id, slack_ts FROM outbox WHERE status = 'sent' ORDER BY id")
            assert [r["slack_ts"] for r in posted] == sorted(r["slack_ts"] for r in posted)  # queue order kept
            assert health["status"] == "ok" and health["workers"] >= WORKERS and health["outbox"]["waiting"] == 0
            moved = counter(after, "ponto_slack_transactions_stored") - counter(
                before, "ponto_slack_transactions_stored"
            )
            assert moved == len(added)
            assert counter(after, "ponto_slack_syncs") > counter(before, "ponto_slack_syncs")
            assert "ponto_slack_outbox_depth 0.0" in after
        finally:
            for process in workers:
                process.send_signal(signal.SIGTERM)  # the work in flight finishes; each takes its heartbeat away
            codes = [process.wait(timeout=60) for process in workers]
            server.stop()
        assert codes == [0] * WORKERS, [(tmp_path / f"worker{n}.log").read_text()[-2000:] for n in range(started)]
        left = rows(url, "SELECT owner FROM heartbeats")
        assert sorted(r["owner"] for r in left) == sorted(f"{os.uname().nodename}:{pid}" for pid in killed_pids)
