"""`ponto-slack sync`, `invoices import` and `reconcile`: one-shot work on the data, with progress."""

from __future__ import annotations

import argparse
import sys

from .settings import Settings, private_database_file


class Progress:
    """One line on stderr, rewritten in place on a terminal, printed every few thousand otherwise."""

    def __init__(self) -> None:
        self._tty = sys.stderr.isatty()
        self._last: dict[str, int] = {}

    def __call__(self, account: str, count: int) -> None:
        previous = self._last.get(account, -1)
        self._last[account] = count
        if self._tty:
            print(f"\r  account {account[:8]}: {count} transactions read", end="", file=sys.stderr, flush=True)
        elif count // 5000 != previous // 5000 or previous < 0:
            print(f"  account {account[:8]}: {count} transactions read", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self._tty and self._last:
            print(file=sys.stderr)


def sync(args: argparse.Namespace) -> int:
    import asyncio

    from storage import connections

    from .core import core_resources
    from .wiring import Wiring

    settings = Settings.from_env()
    progress = Progress()
    wiring = Wiring.of(settings, settings.public_url)

    async def run() -> int:
        async with core_resources(settings, wiring, on_progress=progress) as core:
            async with core.sessions() as session:
                ids = await connections.active_ids(session)
            if not ids:
                print("No active Ponto connection: connect one with /ponto activate in Slack.")
                return 0
            failed = 0
            for connection_id in ids:
                report = await core.syncer.sync(connection_id)
                progress.done()
                if report.skipped:
                    print(f"connection {connection_id}: another process is syncing it; skipped")
                elif report.error:
                    failed += 1
                    print(f"connection {connection_id}: FAILED: {report.error}")
                    if "Error(" in report.error or "Timeout(" in report.error:  # Ponto could not be reached
                        print(unreachable_hint(settings, wiring.ponto_api_url))
                else:
                    print(
                        f"connection {connection_id}: {report.accounts} accounts, {report.created} new and "
                        f"{report.updated} updated transactions"
                    )
            print("Messages are queued; a running `ponto-slack serve` (or `worker`) delivers them to Slack.")
            return 1 if failed else 0

    return asyncio.run(run())


def unreachable_hint(settings: Settings, api_url: str) -> str:
    """Which address was tried and which setting moves it."""
    if settings.ponto_is_real:
        return f"  tried the Ponto API at {api_url}: check PONTO_API_URL and the network (and PONTO_CERT_FILE)"
    return (
        f"  tried the Ponto stand-in at {api_url}: it is served by `ponto-slack serve` at PUBLIC_URL "
        f"({settings.public_url}); start it there, or set PUBLIC_URL to where it runs (e.g. http://127.0.0.1:8100)"
    )


def reconcile(args: argparse.Namespace) -> int:
    """A dry run of the matcher on the user's own exports; prints one decision per transaction."""
    import json
    from pathlib import Path

    from invoices import InvoiceError
    from worker.reconcile import invoice_files, read_invoice_file, reconcile, transactions_from_json

    invoices = []
    try:
        for path in invoice_files(args.invoices):
            invoices.extend(read_invoice_file(path, side=args.side))
        transactions = transactions_from_json(Path(args.transactions).read_bytes(), args.transactions)
    except InvoiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {args.transactions}: {exc.strerror}", file=sys.stderr)
        return 2
    decisions = reconcile(invoices, transactions)
    if args.format == "json":
        for decision in decisions:
            print(json.dumps(decision.as_dict(), ensure_ascii=False))
        return 0
    from .reconcile_table import render

    print(render(decisions, transactions))
    counts = {kind: sum(d.decision == kind for d in decisions) for kind in ("auto", "ask", "none")}
    print(
        f"\n{len(decisions)} transactions: {counts['auto']} auto, {counts['ask']} ask, {counts['none']} none",
        file=sys.stderr,
    )
    return 0


def invoices_import(args: argparse.Namespace) -> int:
    """Each file whole or not at all; a report line per file; the good files import."""
    import asyncio
    from datetime import UTC, datetime

    from invoices import InvoiceError
    from storage import create_engine, make_sessionmaker
    from storage.migrate import upgrade
    from worker.import_report import describe_change
    from worker.matching_input import import_and_match, workspace_for_import
    from worker.reconcile import invoice_files, read_invoice_file

    settings = Settings.from_env()
    private_database_file(settings)
    upgrade(settings.database_url)
    files = invoice_files(args.paths)
    if not files:
        print("error: no .xml, .csv or .json file found in the given paths", file=sys.stderr)
        return 2

    async def run() -> int:
        engine = create_engine(settings.database_url)
        sessions = make_sessionmaker(engine)
        refused = 0
        try:
            for path in files:
                try:
                    parsed = read_invoice_file(path, side=args.side)
                except InvoiceError as exc:
                    refused += 1
                    print(f"REFUSED  {exc}")
                    continue
                async with sessions.begin() as session:
                    try:
                        workspace = await workspace_for_import(session, args.team)
                    except LookupError as exc:
                        print(f"error: {exc}", file=sys.stderr)
                        return 2
                    result, queued = await import_and_match(
                        session, workspace, parsed, source=str(path), now=datetime.now(UTC)
                    )
                print(
                    f"ok       {path}: {len(parsed)} invoice(s): {result.created} new, {result.updated} updated, "
                    f"{result.unchanged} unchanged; {queued} message(s) about payments already received"
                )
                for change in result.changes:
                    print(f"           changed {describe_change(change)}")
                if result.updated > len(result.changes):
                    print(f"           …and {result.updated - len(result.changes)} more invoice(s) changed")
        finally:
            await engine.dispose()
        print(f"{len(files) - refused} file(s) imported, {refused} refused")
        return 1 if refused else 0

    return asyncio.run(run())
