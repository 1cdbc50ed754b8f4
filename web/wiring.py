"""Where each side lives for this process (the real service or the stand-in mounted here), and the
clients and options derived from the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import httpx

from money import to_minor_units
from ponto import RequestSigner, signed_client
from ponto.tls import client_context
from sandbox import ponto as ponto_sandbox, slack as slack_sandbox
from sandbox.ponto_webhooks import DEFAULT_AUDIENCE
from sandbox.slack_state import DEFAULT_BOT_TOKEN, DEFAULT_SIGNING_SECRET
from worker.sync import SyncOptions

from .settings import ConfigError, Settings


@dataclass(frozen=True)
class Wiring:
    """Where each side lives for this process: the real service or the stand-in mounted here."""

    ponto_api_url: str
    ponto_auth_url: str
    ponto_client_id: str
    ponto_client_secret: str
    webhook_keys_url: str | None
    webhook_audience: str | None
    slack_api_url: str
    slack_signing_secret: str
    slack_bot_token: str | None

    @classmethod
    def of(cls, settings: Settings, self_url: str) -> Wiring:
        if settings.ponto_is_real:
            ponto = (
                settings.ponto_api_url,
                settings.ponto_auth_url,
                settings.ponto_client_id or "",
                settings.ponto_client_secret or "",
                settings.ponto_webhook_keys_url,
                settings.ponto_application_id,
            )
        else:
            mount = f"{self_url}{ponto_sandbox.MOUNT}"
            ponto = (
                f"{mount}/api",
                f"{settings.public_url}{ponto_sandbox.MOUNT}/oauth2/auth",
                ponto_sandbox.DEFAULT_CLIENT_ID,
                ponto_sandbox.DEFAULT_CLIENT_SECRET,
                f"{mount}/webhooks/keys",
                settings.ponto_application_id or DEFAULT_AUDIENCE,
            )
        slack: tuple[str, str, str | None]
        if settings.slack_mode == "sandbox":
            slack = (
                f"{self_url}{slack_sandbox.MOUNT}/api/",
                settings.slack_signing_secret or DEFAULT_SIGNING_SECRET,
                DEFAULT_BOT_TOKEN,
            )
        else:
            slack = (settings.slack_api_url, settings.slack_signing_secret or "", settings.slack_bot_token)
        return cls(*ponto, *slack)


def ponto_http_client(settings: Settings) -> httpx.AsyncClient:
    """The one client for every Ponto call (API, token, revoke): the TLS client certificate and, when
    configured, a signature on every request."""
    context = client_context(settings.ponto_cert_file, settings.ponto_key_file, settings.ponto_key_passphrase)
    timeout = httpx.Timeout(settings.ponto_timeout_seconds, connect=min(5.0, settings.ponto_timeout_seconds))
    return signed_client(request_signer(settings), timeout=timeout, verify=context)


def request_signer(settings: Settings) -> RequestSigner | None:
    if not (settings.ponto_signature_key_file and settings.ponto_signature_cert_id):
        return None
    path = Path(settings.ponto_signature_key_file)
    try:
        return RequestSigner(
            path.read_bytes(), settings.ponto_signature_cert_id, passphrase=settings.ponto_signature_key_passphrase
        )
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(
            f"PONTO_SIGNATURE_KEY_FILE={path} could not be loaded ({type(exc).__name__}). Check the path, and set "
            "PONTO_SIGNATURE_KEY_PASSPHRASE if the signature key is encrypted."
        ) from exc


def sync_options(settings: Settings) -> SyncOptions:
    return SyncOptions(
        interval=settings.sync_interval,
        initial_days=settings.initial_import_days,
        digest_threshold=settings.digest_threshold,
        min_amount=to_minor_units(settings.notify_min_amount.quantize(Decimal("0.01")), "EUR"),
        customer_ip=settings.ponto_customer_ip,
    )


def slack_return_url(settings: Settings) -> Callable[[str, str], str]:
    def url(team_id: str, channel_id: str) -> str:
        if settings.slack_mode == "sandbox":
            return f"{settings.public_url}{slack_sandbox.MOUNT}/?{urlencode({'channel': channel_id})}"
        return f"https://slack.com/app_redirect?{urlencode({'team': team_id, 'channel': channel_id})}"

    return url
