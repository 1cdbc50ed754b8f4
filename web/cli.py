"""`ponto-slack`: serve, db upgrade, sync, invoices import, reconcile, sandbox."""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Sequence

from . import cli_data, cli_keys, cli_server, cli_tokens, logs
from .settings import ConfigError


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="ponto-slack", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the web app, the bot and the worker")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=cli_server.serve)
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply the migrations to DATABASE_URL").set_defaults(
        run=cli_server.db_upgrade
    )
    commands.add_parser("sync", help="sync every active connection once, with progress").set_defaults(run=cli_data.sync)
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
    importing.set_defaults(run=cli_data.invoices_import)
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
    reconcile.set_defaults(run=cli_data.reconcile)
    tokens = commands.add_parser("tokens", help="bearer tokens for the invoice API")
    token_commands = tokens.add_subparsers(dest="tokens_command", required=True)
    creating = token_commands.add_parser("create", help="print a new token that reaches one workspace")
    creating.add_argument("--team", required=True, help="the Slack team id (T…) the token belongs to")
    creating.add_argument("--label", help="what the token is for, kept with it")
    creating.set_defaults(run=cli_tokens.create)
    keys = commands.add_parser("keys", help="the encryption keys of stored tokens")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    key_commands.add_parser(
        "rotate", help="add a new key first and re-encrypt every stored token with it"
    ).set_defaults(run=cli_keys.rotate)
    sandbox = commands.add_parser("sandbox", help="run one stand-in as its own process")
    sandbox.add_argument("side", choices=["ponto", "slack"])
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, required=True)
    sandbox.add_argument("--app-url", default="http://127.0.0.1:8000", help="where the app runs")
    sandbox.add_argument("--webhooks", action="store_true", help="(ponto) send webhooks to APP_URL/ponto/webhooks")
    sandbox.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    sandbox.add_argument("--tls-key", help="the certificate's private key (PEM)")
    sandbox.add_argument("--tls-client-ca", help="require client certificates signed by this CA (mutual TLS)")
    sandbox.set_defaults(run=cli_server.sandbox)
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
