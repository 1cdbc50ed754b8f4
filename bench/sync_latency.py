"""Webhook-to-message latency and the message rate held per channel, against the real server process."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import httpx

from harness.server import Server, connect, ponto_control, refs_in_channel, start_server

ROUNDS = 20
BURST = 20


def _wait_for(server: Server, client: httpx.Client, ref: str, timeout: float = 30) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ref in refs_in_channel(server, client):
            return time.monotonic()
        time.sleep(0.01)
    raise RuntimeError(f"transaction {ref} never reached the channel")


def run() -> list[str]:
    lines = ["sync: webhook-to-message latency and messages per second per channel (real server, stand-ins)"]
    with tempfile.TemporaryDirectory() as folder:
        server = start_server(Path(folder), {"DIGEST_THRESHOLD": "100000", "SYNC_INTERVAL_MINUTES": "60"})
        try:
            with httpx.Client(timeout=30) as client:
                connect(server, client)
                account = next(iter(client.get(f"{server.ponto_base}/_control/state").json()["accounts"]))
                latencies = []
                for n in range(ROUNDS):
                    started = time.monotonic()
                    (ref,) = ponto_control(
                        server, client, "transactions", {"account_id": account, "count": 1, "seed": n}
                    )["ids"]
                    latencies.append(_wait_for(server, client, ref) - started)
                    time.sleep(1.2)  # let the channel's pacing window pass, so each round measures latency alone
                latencies.sort()
                p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)]
                lines.append(
                    f"  latency over {ROUNDS} webhooks: median {statistics.median(latencies) * 1000:.0f} ms, "
                    f"95th percentile {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
                )
                body = {"account_id": account, "count": BURST, "seed": 99}
                refs = set(ponto_control(server, client, "transactions", body)["ids"])
                seen: dict[str, float] = {}
                deadline = time.monotonic() + 120
                while len(seen) < BURST and time.monotonic() < deadline:
                    now = time.monotonic()
                    for ref in set(refs_in_channel(server, client)) & refs:
                        seen.setdefault(ref, now)
                    time.sleep(0.01)
                span = max(seen.values()) - min(seen.values())
                lines.append(
                    f"  burst of {BURST} messages to one channel: {len(seen) - 1} intervals in {span:.1f} s "
                    f"= {(len(seen) - 1) / span:.2f} messages/s (target about 1/s)"
                )
        finally:
            server.stop()
    return lines
