"""`ponto-slack`: serve, worker, db upgrade, sync, invoices import, reconcile, tokens create, keys rotate, sandbox."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from . import cli_data, cli_keys, cli_server, cli_tokens, logs
from .settings import ConfigError


def parser() -> argparse.ArgumentParser:
    defaults = argparse.ArgumentDefaultsHelpFormatter
    root = argparse.ArgumentParser(prog="ponto-slack", description=__doc__, formatter_class=defaults)
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(parent: Any, name: str, what: str) -> argparse.ArgumentParser:
        """A subcommand whose --help says what it does and shows every default."""
        made: argparse.ArgumentParser = parent.add_parser(name, help=what, description=what, formatter_class=defaults)
        return made

    serve = command(commands, "serve", "run the web app, the bot and (unless --no-worker) the worker")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on; PUBLIC_URL follows it unless set")
    serve.add_argument(
        "--no-worker", action="store_true", help="serve only: sync and delivery are left to `ponto-slack worker`"
    )
    serve.set_defaults(run=cli_server.serve)
    worker = command(commands, "worker", "sync, match and deliver to Slack, without serving (any number of them)")
    worker.add_argument("--grace", type=float, default=60.0, help="seconds to finish the work in flight after SIGTERM")
    worker.add_argument("--metrics-port", type=int, help="serve this process's /metrics on this port")
    worker.set_defaults(run=cli_server.worker)
    db = command(commands, "db", "database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    command(db_commands, "upgrade", "apply the migrations to DATABASE_URL").set_defaults(run=cli_server.db_upgrade)
    command(commands, "sync", "sync every active connection once, with progress").set_defaults(run=cli_data.sync)
    invoices = command(commands, "invoices", "invoice files: import")
    invoice_commands = invoices.add_subparsers(dest="invoices_command", required=True, metavar="COMMAND")
    importing = command(invoice_commands, "import", "import UBL (.xml), CSV or JSON files or folders")
    importing.add_argument("paths", nargs="+", help="files or folders (folders: every .xml, .csv and .json in them)")
    importing.add_argument(
        "--side",
        choices=["sales", "purchase"],
        default="sales",
        help="UBL files: invoices you sent (sales) or received (purchase)",
    )
    importing.add_argument("--team", help="the Slack team id, when the database serves several workspaces")
    importing.set_defaults(run=cli_data.invoices_import)
    reconcile = command(commands, "reconcile", "dry run: match transactions to invoices, store nothing")
    reconcile.add_argument("--invoices", nargs="+", required=True, help="UBL .xml, .csv or .json files or folders")
    reconcile.add_argument("--transactions", required=True, help="a Ponto JSON body or a JSON list of transactions")
    reconcile.add_argument("--format", choices=["json", "table"], default="json", help="JSON, or a table to read")
    reconcile.add_argument(
        "--side",
        choices=["sales", "purchase"],
        default="sales",
        help="whether the UBL files are invoices you sent (sales) or received (purchase)",
    )
    reconcile.set_defaults(run=cli_data.reconcile)
    tokens = command(commands, "tokens", "bearer tokens for the invoice API: create")
    token_commands = tokens.add_subparsers(dest="tokens_command", required=True, metavar="COMMAND")
    creating = command(token_commands, "create", "print a new token that reaches one workspace")
    creating.add_argument("--team", required=True, help="the Slack team id (T…) the token belongs to")
    creating.add_argument("--label", help="what the token is for, kept with it")
    creating.set_defaults(run=cli_tokens.create)
    keys = command(commands, "keys", "the encryption keys of stored tokens: rotate")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    command(key_commands, "rotate", "add a new key first and re-encrypt every stored token with it").set_defaults(
        run=cli_keys.rotate
    )
    sandbox = command(commands, "sandbox", "run one stand-in as its own process")
    sandbox.add_argument("side", choices=["ponto", "slack"], help="which stand-in")
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sandbox.add_argument("--port", type=int, required=True, help="port to listen on")
    sandbox.add_argument(
        "--app-url",
        default="http://127.0.0.1:8000",
        help="where the app runs; several URLs separated by commas take turns, as behind a load balancer",
    )
    sandbox.add_argument("--webhooks", action="store_true", help="(ponto) send webhooks to APP_URL/ponto/webhooks")
    sandbox.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    sandbox.add_argument("--tls-key", help="the certificate's private key (PEM)")
    sandbox.add_argument("--tls-client-ca", help="require client certificates signed by this CA (mutual TLS)")
    sandbox.set_defaults(run=cli_server.sandbox)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logs.configure(json_lines=os.environ.get("LOG_FORMAT", "").lower() == "json")
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    try:
        return int(args.run(args))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
