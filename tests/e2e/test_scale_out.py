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
from pathlib import Path
from typing import Any

import httpx

from harness.server import connect, free_port, ponto_control, refs_in_channel, stand_ins_as_processes, start_worker
from tests.support.databases import postgres_database

KEY = "n2vFfI9aCl2yCYVh4G3N7s2Wq4R9ZjL0ZbqK4mJX8mQ="
LINES = 1200


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


def counter(text: str, name: str) -> float:
    """The sum of a counter's samples (every label) in a /metrics body."""
    return sum(float(v) for v in re.findall(rf"^{name}_total(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE))


def test_a_web_process_and_two_workers_share_the_work_and_survive_a_kill(tmp_path: Path) -> None:
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
        workers.append(start_worker(tmp_path, env, "worker1"))
        try:
            with httpx.Client(timeout=30) as client:
                health = client.get(f"{server.url}/healthz").json()
                wait(lambda: client.get(f"{server.url}/healthz").json()["workers"] == 2, 20, "two worker heartbeats")
                connect(server, client, settle=False)  # the web process only queues: the workers sync and post

                def settled() -> bool:
                    synced = rows(url, "SELECT 1 FROM sync_states WHERE initial_import_done AND lease_until IS NULL")
                    return bool(synced) and not rows(url, "SELECT 1 FROM outbox WHERE status = 'pending'")

                wait(settled, 60, "the first sync, and its messages posted by a worker")
                assert (
                    'ponto_slack_syncs_total{result="ok"}'
                    in client.get(f"http://127.0.0.1:{metrics_port}/metrics").text
                )
                before = client.get(f"{server.url}/metrics").text
                faults = [  # what the real services do now and then, while the work is under way
                    {"path": "transactions", "status": 500, "count": 2},
                    {"path": "transactions", "status": 429, "retry_after": 1, "count": 2},
                    {"path": "transactions", "truncate": True, "count": 1},
                ]
                for fault in faults:
                    assert client.post(f"{services.ponto_base}/_control/faults", json=fault).status_code == 201
                for fault in ({"status": 429, "retry_after": 1, "count": 3}, {"status": 500, "count": 2}):
                    body = {"method": "chat.postMessage", **fault}
                    assert client.post(f"{services.slack_base}/_control/faults", json=body).status_code == 201
                account = next(iter(client.get(f"{services.ponto_base}/_control/state").json()["accounts"]))
                added = ponto_control(server, client, "transactions", {"account_id": account, "count": LINES})["ids"]

                def syncing() -> list[Any]:
                    return rows(url, "SELECT lease_owner FROM sync_states WHERE lease_until IS NOT NULL")

                wait(lambda: bool(syncing()), 30, "a worker to start the sync the webhook asked for")
                owner_pid = int(syncing()[0]["lease_owner"].rsplit(":", 1)[1])
                killed = next(w for w in workers if w.pid == owner_pid)
                killed.send_signal(signal.SIGKILL)  # in the middle of the sync
                killed.wait(timeout=10)
                workers.remove(killed)
                workers.append(start_worker(tmp_path, env, "worker2"))  # takes back the dead one's lease at start
                wait(lambda: set(added) <= set(refs_in_channel(server, client)), 120, "every line in the channel")
                after = client.get(f"{server.url}/metrics").text
                health = client.get(f"{server.url}/healthz").json()
                refs = refs_in_channel(server, client)

            assert len(refs) == len(set(refs)), "a line was posted twice"
            stored = rows(url, "SELECT ponto_id FROM bank_transactions")
            assert len(stored) == len({r["ponto_id"] for r in stored}) and set(added) <= {r["ponto_id"] for r in stored}
            posted = rows(url, "SELECT id, slack_ts FROM outbox WHERE status = 'sent' ORDER BY id")
            assert [r["slack_ts"] for r in posted] == sorted(r["slack_ts"] for r in posted)  # queue order kept
            assert health["status"] == "ok" and health["workers"] >= 2 and health["outbox"]["waiting"] == 0
            assert (
                counter(after, "ponto_slack_transactions_stored") - counter(before, "ponto_slack_transactions_stored")
                == LINES
            )
            assert counter(after, "ponto_slack_syncs") > counter(before, "ponto_slack_syncs")
            assert "ponto_slack_outbox_depth 0.0" in after
        finally:
            for process in workers:
                process.send_signal(signal.SIGTERM)  # the work in flight finishes; each takes its heartbeat away
            codes = [process.wait(timeout=60) for process in workers]
            server.stop()
        assert codes == [0, 0], [(tmp_path / f"worker{n}.log").read_text()[-2000:] for n in range(3)]
        left = rows(url, "SELECT owner FROM heartbeats")
        assert [r["owner"] for r in left] == [f"{os.uname().nodename}:{owner_pid}"]  # only the killed one's
