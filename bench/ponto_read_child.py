"""Child process: read N transactions through the client and report time and peak RSS as JSON."""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

import httpx

from ponto import PontoClient


async def read(api_url: str, token: str, account_ids: str, limit: int) -> int:
    """Read up to `limit` lines of each account (comma-separated ids); -1: all of them; 0: one call only."""
    count = 0
    async with httpx.AsyncClient(timeout=30) as http:
        client = PontoClient(http, api_url=api_url, access_token=token)
        if limit == 0:
            await client.userinfo()  # baseline: everything imported, one call made
            return 0
        for account_id in account_ids.split(","):
            read_here = 0
            async for _transaction in client.iter_transactions(account_id, page_limit=100):
                count += 1
                read_here += 1
                if read_here == limit:
                    break
    return count


def own_peak_kib() -> int:
    """VmHWM: this process's high-water RSS since exec. (getrusage's ru_maxrss would include the
    parent's size at fork, the same for every child: the flat 72.5 MiB the old figures showed.)"""
    for line in open("/proc/self/status").read().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    api_url, token, account_id, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    started = time.perf_counter()
    count = asyncio.run(read(api_url, token, account_id, limit))
    seconds = time.perf_counter() - started
    peak_kib = own_peak_kib()
    json.dump({"count": count, "seconds": seconds, "peak_rss_kib": peak_kib}, sys.stdout)


if __name__ == "__main__":
    main()
