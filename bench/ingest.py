"""Ingest at a company's volume, each figure measured on the process that does the work:

- `ponto-slack invoices import` of a generated CSV (and the unmatched lines decided again after it);
- `ponto-slack sync` bringing N new transactions over the stand-in's accounts into SQLite with 10,000
  open invoices (stored, matched, messages queued), against the floor: the same pages read by the Ponto
  client in one process without storing;
- the peak RSS of each of those processes (its own VmHWM, sampled while it runs).

The stand-ins run as their own processes and count as the real services, as in production.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from harness.clock import cli_command
from harness.server import connect, stand_ins_as_processes
from harness.volume import generate, invoices_csv, ponto_attributes

from .stand_in import ROOT, link

KEY = "n2vFfI9aCl2yCYVh4G3N7s2Wq4R9ZjL0ZbqK4mJX8mQ="
OPEN_INVOICES = 10_000
SIZES = (25_000, 50_000, 100_000)
IMPORT_SIZE = 100_000
SEED_CHUNK = 5_000


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mib: float
    output: str


def peak_rss_mib(pid: int) -> float | None:
    """The process's own high-water RSS (VmHWM; reset at exec, unlike rusage's ru_maxrss, which keeps
    the forking parent's size: every child of a big parent would look big)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def measured(command: list[str], env: dict[str, str], cwd: Path) -> Run:
    """Run a child to the end; its wall time and its own peak RSS (sampled until it exits)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        peak = 0.0
        while process.poll() is None:
            peak = max(peak, peak_rss_mib(process.pid) or 0.0)
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        log.seek(0)
        output = log.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{output[-3000:]}")
    return Run(seconds, peak, output)


@dataclass
class Setup:
    workdir: Path
    env: dict[str, str]
    ponto_base: str


@contextmanager
def connected(workdir: Path) -> Iterator[Setup]:
    """Stand-ins as processes, a server that connects once (first import done), then stopped."""
    with stand_ins_as_processes(workdir, KEY) as services:
        server = services.start(workdir, {"DIGEST_THRESHOLD": "5", "DAILY_SUMMARY_TIME": "off"})
        try:
            with httpx.Client(timeout=60) as client:
                connect(server, client)
        finally:
            server.stop()
        full_env = {
            **os.environ,
            **services.env,
            "DIGEST_THRESHOLD": "5",
            "DAILY_SUMMARY_TIME": "off",
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'app.db'}",
            "KEY_DIR": str(workdir / "keys"),
        }
        yield Setup(workdir, full_env, services.ponto_base)


def seed_lines(setup: Setup, count: int, *, seed: int) -> list[str]:
    """`count` generated lines (paying the generated invoices or not) spread over the accounts."""
    volume = generate(OPEN_INVOICES, count, seed=seed)
    today = datetime.now(UTC).date()
    with httpx.Client(timeout=600) as client:
        accounts = client.get(f"{setup.ponto_base}/_control/state").json()["accounts"]
        by_currency: dict[str, list[str]] = {}
        for account_id, account in accounts.items():
            by_currency.setdefault(account["currency"], []).append(account_id)
        batches: dict[str, list[dict[str, object]]] = {}
        for n, line in enumerate(volume.lines):
            targets = by_currency.get(line.currency) or by_currency["EUR"]
            account_id = targets[n % len(targets)]
            attributes = {**ponto_attributes(line, today=today), "currency": accounts[account_id]["currency"]}
            batches.setdefault(account_id, []).append(attributes)
        for account_id, lines in batches.items():
            for start in range(0, len(lines), SEED_CHUNK):
                body = {"account_id": account_id, "transactions": lines[start : start + SEED_CHUNK], "webhook": False}
                answer = client.post(f"{setup.ponto_base}/_control/transactions", json=body)
                answer.raise_for_status()
    return list(batches)


def import_invoices(setup: Setup, count: int, *, seed: int) -> Run:
    path = setup.workdir / f"invoices-{count}.csv"
    path.write_text(invoices_csv(generate(count, 0, seed=seed).invoices))
    return measured(cli_command("invoices", "import", str(path)), setup.env, setup.workdir)


def floor(setup: Setup, accounts: list[str]) -> Run:
    """The same pages read through the Ponto client, nothing stored: the most the sync can do."""
    token = link(setup.ponto_base)
    command = [sys.executable, "-m", "bench.ponto_read_child", f"{setup.ponto_base}/api", token, ",".join(accounts)]
    return measured([*command, "-1"], setup.env, ROOT)


def run() -> list[str]:
    lines = [
        f"ingest: `ponto-slack sync` of N new transactions with {OPEN_INVOICES:,} open invoices (SQLite), "
        "vs the floor (the same pages read, nothing stored); peak RSS of each working process"
    ]
    rss: dict[int, float] = {}
    for size in SIZES:
        with tempfile.TemporaryDirectory() as folder, connected(Path(folder)) as setup:
            invoices = import_invoices(setup, OPEN_INVOICES, seed=OPEN_INVOICES)
            accounts = seed_lines(setup, size, seed=size)
            synced = measured(cli_command("sync"), setup.env, setup.workdir)
            read = floor(setup, accounts)
            rss[size] = synced.peak_rss_mib
            lines.append(
                f"  N={size:>7,}: sync {synced.seconds:.1f} s = {size / synced.seconds:,.0f}/s "
                f"(floor {read.seconds:.1f} s = {size / read.seconds:,.0f}/s; {synced.seconds / read.seconds:.2f}x), "
                f"peak RSS {synced.peak_rss_mib:.0f} MiB (reader alone {read.peak_rss_mib:.0f} MiB); "
                f"{OPEN_INVOICES:,} invoices imported first in {invoices.seconds:.1f} s"
            )
            lines.append(f"    sync said: {synced.output.strip().splitlines()[-1][:200]}")
    lines.append(
        f"  peak RSS 25k -> 100k: {rss[SIZES[0]]:.0f} -> {rss[SIZES[-1]]:.0f} MiB "
        f"({rss[SIZES[-1]] - rss[SIZES[0]]:+.0f}); targets: >= 3,000/s, within 2x of the floor, <= 300 MB, flat"
    )
    with tempfile.TemporaryDirectory() as folder, connected(Path(folder)) as setup:
        seed_lines(setup, 5_000, seed=7)
        measured(cli_command("sync"), setup.env, setup.workdir)  # lines stored before the invoices arrive
        imported = import_invoices(setup, IMPORT_SIZE, seed=IMPORT_SIZE)
        lines.append(
            f"invoice import: {IMPORT_SIZE:,} from CSV in {imported.seconds:.1f} s = "
            f"{IMPORT_SIZE / imported.seconds:,.0f}/s incl. 5,000 stored lines decided again "
            f"(target >= 5,000/s), peak RSS {imported.peak_rss_mib:.0f} MiB"
        )
        lines.append(f"    import said: {imported.output.strip().splitlines()[0][:200]}")
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
