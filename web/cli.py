"""`ponto-slack`: serve, db upgrade, sync, sandbox."""

from __future__ import annotations

import argparse
import logging
import ssl
import sys
import warnings
from collections.abc import Sequence
from dataclasses import replace

from . import logs
from .settings import ConfigError, Settings


def banner(settings: Settings, host: str, port: int) -> str:
    base = settings.public_url
    slack = {
        "oauth": "REAL (multi-workspace install)",
        "single": "REAL (bot token)",
        "sandbox": "SIMULATED (local stand-in)",
    }[settings.slack_mode]
    ponto = "REAL (" + settings.ponto_api_url + ")" if settings.ponto_is_real else "SIMULATED (local stand-in)"
    lines = [
        "",
        "ponto-slack is running",
        f"  listening on   http://{host}:{port}   (PUBLIC_URL {base})",
        f"  Slack side:    {slack}",
        f"  Ponto side:    {ponto}",
        f"  database:      {settings.database_url}",
    ]
    if settings.slack_mode == "sandbox":
        lines += ["", f"  Open {base}/sandbox/slack/ and type: activate   (then press Send)"]
    if settings.public_url_given or settings.slack_mode != "sandbox":
        lines += [
            "",
            "  Paste into the Slack app settings (manifest.yml has the same):",
            f"    Slash command /ponto request URL: {base}/slack/events",
            f"    Interactivity request URL:        {base}/slack/events",
            f"    Event subscriptions request URL:  {base}/slack/events",
            f"    OAuth redirect URL:               {base}/slack/oauth_redirect",
            f"  Ponto Connect redirect URI:         {base}/ponto/callback",
            f"  Ponto webhook URL:                  {base}/ponto/webhooks",
        ]
    if host not in ("127.0.0.1", "localhost", "::1") and (
        settings.slack_mode == "sandbox" or not settings.ponto_is_real
    ):
        lines += ["", "  WARNING: a stand-in with public demo credentials is reachable beyond this machine."]
    return "\n".join(lines) + "\n"


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app

    settings = Settings.from_env()
    if not settings.public_url_given:  # the default follows --port
        settings = replace(settings, public_url=f"http://127.0.0.1:{args.port}")
    self_host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    app = create_app(settings, self_url=f"http://{self_host}:{args.port}")
    print(banner(settings, args.host, args.port), flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=True)
    return 0


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


def _sync(args: argparse.Namespace) -> int:
    import asyncio

    from sqlalchemy import select

    from storage.models import PontoConnection

    from .lifespan import core_resources
    from .wiring import Wiring

    settings = Settings.from_env()
    progress = Progress()

    async def run() -> int:
        async with core_resources(settings, Wiring.of(settings, settings.public_url), on_progress=progress) as core:
            async with core.sessions() as session:
                ids = list(await session.scalars(select(PontoConnection.id).where(PontoConnection.status == "active")))
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
                else:
                    print(
                        f"connection {connection_id}: {report.accounts} accounts, {report.created} new and "
                        f"{report.updated} updated transactions"
                    )
            print("Messages are queued; a running `ponto-slack serve` delivers them to Slack.")
            return 1 if failed else 0

    return asyncio.run(run())


def _reconcile(args: argparse.Namespace) -> int:
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
    print(f"{'transaction':<24} {'decision':<8} {'invoices / candidates':<40} reasons")
    for d in decisions:
        numbers = ", ".join(d.invoices or d.candidates) or "-"
        print(f"{d.transaction[:24]:<24} {d.decision:<8} {numbers[:40]:<40} {'; '.join(d.reasons)[:120]}")
    counts = {kind: sum(d.decision == kind for d in decisions) for kind in ("auto", "ask", "none")}
    print(
        f"\n{len(decisions)} transactions: {counts['auto']} auto, {counts['ask']} ask, {counts['none']} none",
        file=sys.stderr,
    )
    return 0


def _invoices_import(args: argparse.Namespace) -> int:
    """Each file whole or not at all; a report line per file; the good files import."""
    import asyncio
    from datetime import UTC, datetime

    from invoices import InvoiceError
    from storage import create_engine, make_sessionmaker
    from storage.migrate import upgrade
    from worker.matching_input import import_and_match, workspace_for_import
    from worker.reconcile import invoice_files, read_invoice_file

    settings = Settings.from_env()
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
        finally:
            await engine.dispose()
        print(f"{len(files) - refused} file(s) imported, {refused} refused")
        return 1 if refused else 0

    return asyncio.run(run())


def _db_upgrade(args: argparse.Namespace) -> int:
    from storage.migrate import upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url)
    print(f"database is up to date: {settings.database_url}")
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    import uvicorn

    from sandbox import ponto, slack

    tls: dict[str, object] = {}
    if args.tls_cert:
        tls = {"ssl_certfile": args.tls_cert, "ssl_keyfile": args.tls_key}
        if args.tls_client_ca:  # mutual TLS, as Ponto Connect requires
            tls |= {"ssl_ca_certs": args.tls_client_ca, "ssl_cert_reqs": ssl.CERT_REQUIRED}
    scheme = "https" if tls else "http"
    if args.side == "ponto":
        settings = Settings.from_env()
        sandbox = ponto.PontoSandbox(
            webhook_url=args.app_url.rstrip("/") + "/ponto/webhooks" if args.webhooks else None,
            webhook_audience=settings.ponto_application_id or "sandbox-application",
        )
        app = ponto.create_standalone_app(sandbox)
        where = f"{scheme}://{args.host}:{args.port}{ponto.MOUNT}/api"
    else:
        settings = Settings.from_env()
        stand_in = slack.SlackSandbox(
            app_events_url=args.app_url.rstrip("/") + "/slack/events",
            signing_secret=settings.slack_signing_secret or slack.DEFAULT_SIGNING_SECRET,
        )
        app = slack.create_standalone_app(stand_in)
        where = f"{scheme}://{args.host}:{args.port}{slack.MOUNT}/"
    print(f"{args.side} stand-in at {where}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, **tls)  # type: ignore[arg-type]
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="ponto-slack", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the web app, the bot and the worker")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_serve)
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply the migrations to DATABASE_URL").set_defaults(run=_db_upgrade)
    commands.add_parser("sync", help="sync every active connection once, with progress").set_defaults(run=_sync)
    invoices = commands.add_parser("invoices", help="invoice files")
    invoice_commands = invoices.add_subparsers(dest="invoices_command", required=True)
    importing = invoice_commands.add_parser("import", help="import UBL (.xml), CSV or JSON files or folders")
    importing.add_argument("paths", nargs="+")
    importing.add_argument(
        "--side",
        choices=["sales", "purchase"],
        default="sales",
        help="UBL files: invoices you sent (sales) or received (purchase)",
    )
    importing.add_argument("--team", help="the Slack team id, when the database serves several workspaces")
    importing.set_defaults(run=_invoices_import)
    reconcile = commands.add_parser("reconcile", help="dry run: match transactions to invoices, store nothing")
    reconcile.add_argument("--invoices", nargs="+", required=True, help="UBL .xml, .csv or .json files or folders")
    reconcile.add_argument("--transactions", required=True, help="a Ponto JSON body or a JSON list of transactions")
    reconcile.add_argument("--format", choices=["json", "table"], default="json")
    reconcile.add_argument(
        "--side",
        choices=["sales", "purchase"],
        default="sales",
        help="whether the UBL files are invoices you sent (sales) or received (purchase)",
    )
    reconcile.set_defaults(run=_reconcile)
    sandbox = commands.add_parser("sandbox", help="run one stand-in as its own process")
    sandbox.add_argument("side", choices=["ponto", "slack"])
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, required=True)
    sandbox.add_argument("--app-url", default="http://127.0.0.1:8000", help="where the app runs")
    sandbox.add_argument("--webhooks", action="store_true", help="(ponto) send webhooks to APP_URL/ponto/webhooks")
    sandbox.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    sandbox.add_argument("--tls-key", help="the certificate's private key (PEM)")
    sandbox.add_argument("--tls-client-ca", help="require client certificates signed by this CA (mutual TLS)")
    sandbox.set_defaults(run=_sandbox)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logs.configure()
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    try:
        return int(args.run(args))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
