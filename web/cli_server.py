"""`ponto-slack serve`, `db upgrade` and `sandbox`: the long-running processes and the database."""

from __future__ import annotations

import argparse
import ssl
from dataclasses import replace

from .settings import Settings, private_database_file

DEMO_API_TOKEN = "demo-api-token"  # what `make demo` sets; printed, being no secret


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
    lines += ["", "  Invoices: ponto-slack invoices import FILE...   (UBL .xml, .csv or .json; files or folders)"]
    if settings.api_token:
        shown = DEMO_API_TOKEN if settings.api_token == DEMO_API_TOKEN else "$API_TOKEN"  # never a real secret
        lines.append(f"        or:  curl -H 'Authorization: Bearer {shown}' --json @invoices.json {base}/api/invoices")
    else:
        lines.append("        (POST /api/invoices answers 503 until API_TOKEN is set or a token was created)")
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


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app

    settings = Settings.from_env()
    if not settings.public_url_given:  # the default follows --port
        settings = replace(settings, public_url=f"http://127.0.0.1:{args.port}")
    self_host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    app = create_app(settings, self_url=f"http://{self_host}:{args.port}", run_worker=not args.no_worker)
    print(banner(settings, args.host, args.port), flush=True)
    # X-Forwarded-For is believed only from TRUSTED_PROXIES: the consenting person's address is sent to Ponto.
    proxies = settings.trusted_proxies or ""
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=True,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )
    return 0


def worker(args: argparse.Namespace) -> int:
    """Sync, match and deliver until SIGTERM or SIGINT, then finish the work in flight and stop."""
    import asyncio

    from .worker_process import run_worker

    settings = Settings.from_env()
    asyncio.run(run_worker(settings, grace_seconds=args.grace, metrics_port=args.metrics_port))
    return 0


def db_upgrade(args: argparse.Namespace) -> int:
    from storage.migrate import upgrade

    settings = Settings.from_env()
    private_database_file(settings)
    upgrade(settings.database_url)
    print(f"database is up to date: {settings.database_url}")
    return 0


def sandbox(args: argparse.Namespace) -> int:
    import uvicorn

    from sandbox import ponto, slack
    from sandbox.targets import joined

    tls: dict[str, object] = {}
    if args.tls_cert:
        tls = {"ssl_certfile": args.tls_cert, "ssl_keyfile": args.tls_key}
        if args.tls_client_ca:  # mutual TLS, as Ponto Connect requires
            tls |= {"ssl_ca_certs": args.tls_client_ca, "ssl_cert_reqs": ssl.CERT_REQUIRED}
    scheme = "https" if tls else "http"
    if args.side == "ponto":
        settings = Settings.from_env()
        sandbox = ponto.PontoSandbox(
            webhook_url=joined(args.app_url, "/ponto/webhooks") if args.webhooks else None,
            webhook_audience=settings.ponto_application_id or "sandbox-application",
        )
        app = ponto.create_standalone_app(sandbox)
        where = f"{scheme}://{args.host}:{args.port}{ponto.MOUNT}/api"
    else:
        settings = Settings.from_env()
        stand_in = slack.SlackSandbox(
            app_events_url=joined(args.app_url, "/slack/events"),
            signing_secret=settings.slack_signing_secret or slack.DEFAULT_SIGNING_SECRET,
        )
        app = slack.create_standalone_app(stand_in)
        where = f"{scheme}://{args.host}:{args.port}{slack.MOUNT}/"
    print(f"{args.side} stand-in at {where}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, **tls)  # type: ignore[arg-type]
    return 0
