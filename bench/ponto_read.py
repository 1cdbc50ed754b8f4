"""Reading many transactions through the Ponto client keeps memory flat (one page at a time)."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

from .stand_in import ROOT, link, ponto_stand_in

SIZES = (0, 5_000, 20_000)


def run() -> list[str]:
    lines = ["ponto client: read N transactions from the stand-in over loopback HTTP (fresh process each)"]
    with ponto_stand_in() as base:
        token = link(base)
        headers = {"Authorization": f"Bearer {token}"}
        account_id = httpx.get(f"{base}/api/accounts", headers=headers).json()["data"][0]["id"]
        httpx.post(
            f"{base}/_control/transactions",
            json={"account_id": account_id, "count": max(SIZES), "webhook": False},
            timeout=120,
        )
        results = {}
        for size in SIZES:
            out = subprocess.run(
                [sys.executable, "-m", "bench.ponto_read_child", f"{base}/api", token, account_id, str(size)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                timeout=600,
            )
            results[size] = json.loads(out.stdout)
    base_rss = results[0]["peak_rss_kib"]
    for size in SIZES[1:]:
        r = results[size]
        lines.append(
            f"  N={size:>6}: read {r['count']} in {r['seconds']:.2f} s ({r['count'] / r['seconds']:.0f}/s), "
            f"peak RSS {r['peak_rss_kib'] / 1024:.1f} MiB (+{(r['peak_rss_kib'] - base_rss) / 1024:.1f} MiB "
            f"over the {base_rss / 1024:.1f} MiB baseline)"
        )
    growth = (results[20_000]["peak_rss_kib"] - results[5_000]["peak_rss_kib"]) / 1024
    lines.append(f"  peak RSS growth from 5,000 to 20,000 transactions: {growth:+.1f} MiB")
    return lines
