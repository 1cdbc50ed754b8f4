"""How fast `ponto-slack serve` acknowledges `/ponto help` (Slack gives an app 3 s):

- idle, one at a time and 10 at a time, against a bare bolt app served the same way (the yardstick);
- during a sync burst: 2,000 new lines against 10,000 open invoices, stored and matched by the same
  process, acknowledgements sent every 50 ms until the burst is stored.

The stand-ins run as their own processes; the commands are signed and posted straight to the app, so
the figure is the app's own time to answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from harness.server import Server, connect, free_port, listening, stand_ins_as_processes

from .ingest import KEY, OPEN_INVOICES, Setup, import_invoices, seed_lines

SECRET = "sandbox-signing-secret"  # what stand_ins_as_real_services configures
IDLE_ROUNDS = 200
CONCURRENT = 10
BURST_LINES = 2_000


def signed_command(text: str, response_url: str) -> tuple[bytes, dict[str, str]]:
    body = urlencode(
        {
            "team_id": "T0DEMO",
            "team_domain": "demo",
            "channel_id": "C0FINANCE",
            "channel_name": "finance",
            "user_id": "U0DEMO",
            "user_name": "ada",
            "command": "/ponto",
            "text": text,
            "api_app_id": "A0PONTO",
            "response_url": response_url,
            "trigger_id": secrets.token_hex(8),
            "is_enterprise_install": "false",
        }
    ).encode()
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }
    return body, headers


async def ack_once(client: httpx.AsyncClient, url: str, response_url: str) -> float:
    body, headers = signed_command("help", response_url)
    started = time.perf_counter()
    response = await client.post(url, content=body, headers=headers)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:300]}")
    return elapsed


async def series(url: str, response_url: str, *, rounds: int, at_once: int) -> list[float]:
    async with httpx.AsyncClient(timeout=30) as client:
        await ack_once(client, url, response_url)  # warm: connections, caches
        times: list[float] = []
        for _ in range(rounds // at_once):
            times += await asyncio.gather(*(ack_once(client, url, response_url) for _ in range(at_once)))
        return times


def summary(times: list[float]) -> str:
    return (
        f"p50 {p50(times) * 1000:.1f} ms, p99 {p99(times) * 1000:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms ({len(times)} acks)"
    )


def p50(times: list[float]) -> float:
    return statistics.median(times)


def p99(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(0.99 * len(ordered))) - 1)]


def bare_bolt_times(response_url: str) -> tuple[list[float], list[float]]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.bare_bolt", str(port), SECRET])
    url = f"http://127.0.0.1:{port}/slack/events"
    try:
        if not listening(port):
            raise RuntimeError("the bare bolt app did not start")
        single = asyncio.run(series(url, response_url, rounds=IDLE_ROUNDS, at_once=1))
        concurrent = asyncio.run(series(url, response_url, rounds=IDLE_ROUNDS, at_once=CONCURRENT))
        return single, concurrent
    finally:
        process.terminate()
        process.wait(timeout=10)


def stored_lines(server: Server) -> int:
    with sqlite3.connect(server.db_path) as connection:
        return int(connection.execute("SELECT count(*) FROM bank_transactions").fetchone()[0])


async def during_burst(
    server: Server, url: str, response_url: str, *, until: int, give_up: float = 900
) -> tuple[list[float], float]:
    """Acknowledgements every 50 ms while the server stores the burst; also the time the burst took."""
    times: list[float] = []
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as client:
        while time.monotonic() - started < give_up:
            times.append(await ack_once(client, url, response_url))
            if stored_lines(server) >= until:
                break
            await asyncio.sleep(0.05)
    return times, time.monotonic() - started


def run() -> list[str]:
    lines = ["acknowledgement of `/ponto help`: idle and during a sync burst (stand-ins as processes, SQLite)"]
    with tempfile.TemporaryDirectory() as folder, stand_ins_as_processes(Path(folder), KEY, "--webhooks") as services:
        workdir = Path(folder)
        # Slack's answer to an expired response_url (404 no_active_hooks): a real round trip, no error path
        response_url = f"{services.slack_base}/response/bench"
        bare_single, bare_concurrent = bare_bolt_times(response_url)
        server = services.start(workdir, {"DIGEST_THRESHOLD": "5", "SYNC_INTERVAL_MINUTES": "600"})
        try:
            url = f"{server.url}/slack/events"
            with httpx.Client(timeout=60) as client:
                connect(server, client)
            env = {**os.environ, **services.env, "DATABASE_URL": f"sqlite+aiosqlite:///{server.db_path}"}
            setup = Setup(workdir, env, services.ponto_base)
            import_invoices(setup, OPEN_INVOICES, seed=OPEN_INVOICES)
            single = asyncio.run(series(url, response_url, rounds=IDLE_ROUNDS, at_once=1))
            concurrent = asyncio.run(series(url, response_url, rounds=IDLE_ROUNDS, at_once=CONCURRENT))
            before = stored_lines(server)
            seed_lines(setup, BURST_LINES, seed=BURST_LINES)  # held: no webhook yet
            with httpx.Client(timeout=60) as client:
                accounts = client.get(f"{services.ponto_base}/_control/state").json()["accounts"]
                for account in accounts:  # Ponto's own synchronization of each account, told by webhook
                    body = {"account_id": account, "events": ["pontoConnect.account.transactionsCreated"]}
                    client.post(f"{services.ponto_base}/_control/synchronizations", json=body).raise_for_status()
            burst, seconds = asyncio.run(during_burst(server, url, response_url, until=before + BURST_LINES))
        finally:
            server.stop()
    stored = "stored" if burst else "not measured"
    lines += [
        f"  bare bolt app, one at a time: {summary(bare_single)}",
        f"  bare bolt app, {CONCURRENT} at a time: {summary(bare_concurrent)}",
        f"  ponto-slack, one at a time: {summary(single)}",
        f"  ponto-slack, {CONCURRENT} at a time: {summary(concurrent)}; "
        f"p99 {p99(concurrent) / p99(bare_concurrent):.1f}x the bare app's (target <= 2x)",
        f"  during the burst ({BURST_LINES:,} lines x {OPEN_INVOICES:,} open invoices, {stored} in {seconds:.1f} s): "
        f"{summary(burst)}; p50 {p50(burst) / p50(single):.1f}x idle (target <= 2x), none >= 1 s: "
        f"{'yes' if max(burst) < 1 else 'no'}",
    ]
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
