"""Configuration from the environment (and a `.env` file); read by entry points only."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv.parser import parse_stream
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)


class ConfigError(Exception):
    """The configuration cannot work; the message says which variable to set and how."""


DEFAULTS = {
    "DATABASE_URL": "sqlite+aiosqlite:///./ponto-slack.db",
    "PUBLIC_URL": "http://127.0.0.1:8000",
    "SLACK_API_URL": "https://slack.com/api/",
    "SLACK_AUTHORIZE_URL": "https://slack.com/oauth/v2/authorize",
    "FINANCE_CHANNEL": "#finance",
    "PONTO_API_URL": "https://api.ibanity.com/ponto-connect",
    "PONTO_AUTH_URL": "https://authorization.myponto.com/oauth2/auth",
    "PONTO_WEBHOOK_KEYS_URL": "https://api.ibanity.com/webhooks/keys",
    "LOCALE": "en_BE",
    "SYNC_INTERVAL_MINUTES": "30",
    "INITIAL_IMPORT_DAYS": "30",
    "DIGEST_THRESHOLD": "5",
    "NOTIFY_MIN_AMOUNT": "0",
    "DAILY_SUMMARY_TIME": "08:30",
    "TIMEZONE": "Europe/Brussels",
    "SLACK_MESSAGES_PER_SECOND": "1",
    "PONTO_TIMEOUT_SECONDS": "15",
    "PAYMENT_POLL_SECONDS": "10",
    "DEMO_TRICKLE_SECONDS": "0",
}


def read_env_file(path: Path) -> dict[str, str]:
    """A `.env` file read by python-dotenv (comments, quotes, `export`); a line it cannot read is named."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    with path.open(encoding="utf-8") as stream:
        for binding in parse_stream(stream):
            if binding.error:
                raise ConfigError(f"{path}:{binding.original.line}: expected KEY=VALUE")
            if binding.key is not None:
                values[binding.key] = binding.value or ""
    return values


@dataclass(frozen=True)
class Settings:
    database_url: str
    public_url: str
    public_url_given: bool
    finance_channel: str
    slack_api_url: str
    locale: str
    slack_authorize_url: str = DEFAULTS["SLACK_AUTHORIZE_URL"]
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    ponto_client_id: str | None = None
    ponto_client_secret: str | None = None
    ponto_api_url: str = DEFAULTS["PONTO_API_URL"]
    ponto_auth_url: str = DEFAULTS["PONTO_AUTH_URL"]
    ponto_cert_file: str | None = None
    ponto_key_file: str | None = None
    ponto_key_passphrase: str | None = field(default=None, repr=False)
    ponto_signature_key_file: str | None = None
    ponto_signature_key_passphrase: str | None = field(default=None, repr=False)
    ponto_signature_cert_id: str | None = None
    ponto_customer_ip: str | None = None
    trusted_proxies: str | None = None
    ponto_application_id: str | None = None
    ponto_webhook_keys_url: str = DEFAULTS["PONTO_WEBHOOK_KEYS_URL"]
    token_encryption_key: str | None = field(default=None, repr=False)
    api_token: str | None = field(default=None, repr=False)
    admin_user_ids: frozenset[str] = frozenset()
    confirmer_user_ids: frozenset[str] = frozenset()
    sync_interval: timedelta = timedelta(minutes=30)
    initial_import_days: int = 30
    digest_threshold: int = 5
    notify_min_amount: Decimal = Decimal(0)
    daily_summary_time: time | None = time(8, 30)
    timezone: str = "Europe/Brussels"
    slack_messages_per_second: float = 1.0
    ponto_timeout_seconds: float = 15.0
    payment_poll_seconds: float = 10.0  # how often a payment under way is asked about (webhooks ask at once)
    demo_trickle_seconds: float = 0.0  # with both stand-ins: the demo's invoices and a new bank line this often
    key_dir: str = str(Path.home() / ".config" / "ponto-slack" / "keys")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> Settings:
        """Environment first, then the .env file, then the defaults; empty values count as unset."""
        merged = {**(read_env_file(env_file) if env_file else {}), **(os.environ if environ is None else environ)}

        def get(name: str) -> str | None:
            value = merged.get(name, "").strip()
            return value or DEFAULTS.get(name)

        settings = cls(
            database_url=get("DATABASE_URL") or "",
            public_url=(get("PUBLIC_URL") or "").rstrip("/"),
            public_url_given=bool(merged.get("PUBLIC_URL", "").strip()),
            finance_channel=get("FINANCE_CHANNEL") or "#finance",
            slack_api_url=get("SLACK_API_URL") or "",
            slack_authorize_url=get("SLACK_AUTHORIZE_URL") or "",
            locale=get("LOCALE") or "en_BE",
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_client_id=get("SLACK_CLIENT_ID"),
            slack_client_secret=get("SLACK_CLIENT_SECRET"),
            ponto_client_id=get("PONTO_CLIENT_ID"),
            ponto_client_secret=get("PONTO_CLIENT_SECRET"),
            ponto_api_url=(get("PONTO_API_URL") or "").rstrip("/"),
            ponto_auth_url=get("PONTO_AUTH_URL") or "",
            ponto_cert_file=get("PONTO_CERT_FILE"),
            ponto_key_file=get("PONTO_KEY_FILE"),
            ponto_key_passphrase=get("PONTO_KEY_PASSPHRASE"),
            ponto_signature_key_file=get("PONTO_SIGNATURE_KEY_FILE"),
            ponto_signature_key_passphrase=get("PONTO_SIGNATURE_KEY_PASSPHRASE"),
            ponto_signature_cert_id=get("PONTO_SIGNATURE_CERT_ID"),
            ponto_customer_ip=get("PONTO_CUSTOMER_IP"),
            trusted_proxies=get("TRUSTED_PROXIES"),
            ponto_application_id=get("PONTO_APPLICATION_ID"),
            ponto_webhook_keys_url=get("PONTO_WEBHOOK_KEYS_URL") or "",
            token_encryption_key=get("TOKEN_ENCRYPTION_KEY"),
            api_token=get("API_TOKEN"),
            admin_user_ids=frozenset(u.strip() for u in (get("ADMIN_USER_IDS") or "").split(",") if u.strip()),
            confirmer_user_ids=frozenset(u.strip() for u in (get("MATCH_CONFIRMERS") or "").split(",") if u.strip()),
            key_dir=get("KEY_DIR") or str(_config_home(merged) / "ponto-slack" / "keys"),
            **_tuning(get),
        )
        settings.validate()
        return settings

    @property
    def slack_mode(self) -> str:
        """'oauth' (multi-workspace install), 'single' (bot token) or 'sandbox' (the stand-in)."""
        if self.slack_client_id and self.slack_client_secret:
            return "oauth"
        if self.slack_bot_token:
            return "single"
        return "sandbox"

    @property
    def ponto_is_real(self) -> bool:
        return bool(self.ponto_client_id)

    @property
    def uses_real_services(self) -> bool:
        """Production: real Slack or real Ponto credentials (then secrets must come from the environment)."""
        return self.ponto_is_real or self.slack_mode != "sandbox"

    def validate(self) -> None:
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            raise ConfigError("Set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for the multi-workspace install.")
        if self.slack_mode != "sandbox" and not self.slack_signing_secret:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is required with a real Slack app: copy it from the app's "
                "'Basic Information' page."
            )
        if self.ponto_client_id and not self.ponto_client_secret:
            raise ConfigError("PONTO_CLIENT_SECRET is required with PONTO_CLIENT_ID.")
        if bool(self.ponto_cert_file) != bool(self.ponto_key_file):
            raise ConfigError("Set both PONTO_CERT_FILE and PONTO_KEY_FILE for the TLS client certificate.")
        if self.ponto_is_real and self.ponto_api_url.startswith("https://") and not self.ponto_cert_file:
            raise ConfigError(
                "The real Ponto API accepts only mutual TLS: set PONTO_CERT_FILE and PONTO_KEY_FILE to the "
                "certificate and key from the Ibanity Developer Portal (and PONTO_KEY_PASSPHRASE if the key is "
                "encrypted). Without PONTO_CLIENT_ID the app runs against the local Ponto stand-in."
            )
        if bool(self.ponto_signature_key_file) != bool(self.ponto_signature_cert_id):
            raise ConfigError(
                "Set both PONTO_SIGNATURE_KEY_FILE and PONTO_SIGNATURE_CERT_ID to sign requests "
                "(and PONTO_SIGNATURE_KEY_PASSPHRASE if that key is encrypted)."
            )
        if self.ponto_customer_ip:
            try:
                ipaddress.ip_address(self.ponto_customer_ip)
            except ValueError as exc:
                raise ConfigError(f"PONTO_CUSTOMER_IP={self.ponto_customer_ip!r} is not an IP address") from exc
        try:
            make_url(self.database_url)
        except Exception as exc:
            raise ConfigError(f"DATABASE_URL is not a valid SQLAlchemy URL: {exc}") from exc

    def sqlite_path(self) -> Path | None:
        url = make_url(self.database_url)
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        return Path(url.database)


def _config_home(merged: Mapping[str, str]) -> Path:
    configured = merged.get("XDG_CONFIG_HOME", "").strip()
    return Path(configured) if configured else Path.home() / ".config"


def _number(get: Callable[[str], str | None], name: str, kind: Callable[[str], Any], low: float) -> Any:
    raw = get(name) or ""
    try:
        value = kind(raw)
    except (ValueError, ArithmeticError) as exc:
        raise ConfigError(f"{name}={raw!r} is not a number") from exc
    if value < low:
        raise ConfigError(f"{name} must be at least {low}, not {raw}")
    return value


def _tuning(get: Callable[[str], str | None]) -> dict[str, Any]:
    """The sync and notification knobs, checked so a typo stops the start with a clear message."""
    raw_time = get("DAILY_SUMMARY_TIME") or ""
    try:
        summary_time = None if raw_time.lower() == "off" else time.fromisoformat(raw_time)
    except ValueError as exc:
        raise ConfigError(f"DAILY_SUMMARY_TIME={raw_time!r} must be HH:MM (e.g. 08:30) or off") from exc
    zone = get("TIMEZONE") or ""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"TIMEZONE={zone!r} is not a time zone name such as Europe/Brussels") from exc
    return {
        "sync_interval": timedelta(minutes=_number(get, "SYNC_INTERVAL_MINUTES", float, 0.01)),
        "initial_import_days": _number(get, "INITIAL_IMPORT_DAYS", int, 0),
        "digest_threshold": _number(get, "DIGEST_THRESHOLD", int, 1),
        "notify_min_amount": _number(get, "NOTIFY_MIN_AMOUNT", Decimal, 0),
        "daily_summary_time": summary_time,
        "timezone": zone,
        "slack_messages_per_second": _number(get, "SLACK_MESSAGES_PER_SECOND", float, 0.01),
        "ponto_timeout_seconds": _number(get, "PONTO_TIMEOUT_SECONDS", float, 0.1),
        "payment_poll_seconds": _number(get, "PAYMENT_POLL_SECONDS", float, 0.1),
        "demo_trickle_seconds": _number(get, "DEMO_TRICKLE_SECONDS", float, 0),
    }


def generated_key_file(settings: Settings, database: Path) -> Path:
    """Where a generated key lives: in the user's key folder, never beside the database it protects
    (a copy of the database folder must not carry its own key)."""
    digest = hashlib.sha256(str(database.resolve()).encode()).hexdigest()[:16]
    return Path(settings.key_dir) / f"{database.name}-{digest}.key"


def token_keys(settings: Settings) -> str:
    """TOKEN_ENCRYPTION_KEY; for a demo on SQLite, a key generated once into KEY_DIR."""
    if settings.token_encryption_key:
        return settings.token_encryption_key
    database = settings.sqlite_path()
    if database is None or settings.uses_real_services:
        raise ConfigError(
            "TOKEN_ENCRYPTION_KEY is required "
            + ("with this database" if database is None else "with real Slack or Ponto credentials")
            + ". Generate one with: "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )
    legacy = database.with_name(database.name + ".key")
    if legacy.exists():  # written beside the database by earlier versions
        log.warning(f"the token key {legacy} sits beside the database: move it, or set TOKEN_ENCRYPTION_KEY")
        return legacy.read_text(encoding="ascii").strip()
    key_file = generated_key_file(settings, database)
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    from cryptography.fernet import Fernet

    key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(descriptor, "w", encoding="ascii") as stream:
        stream.write(Fernet.generate_key().decode("ascii") + "\n")
    log.warning(
        f"TOKEN_ENCRYPTION_KEY is not set: generated a key into {key_file}. Keep it (tokens cannot be read "
        "without it), or set TOKEN_ENCRYPTION_KEY."
    )
    return key_file.read_text(encoding="ascii").strip()


def private_database_file(settings: Settings) -> None:
    """A SQLite file is created readable by its owner only (0600), and an existing one is tightened."""
    database = settings.sqlite_path()
    if database is None:
        return
    database.parent.mkdir(parents=True, exist_ok=True)
    if not database.exists():
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, stat.S_IRUSR | stat.S_IWUSR))
    elif stat.S_IMODE(database.stat().st_mode) & 0o077:
        log.warning(f"{database} was readable by others: made it private (0600)")
        database.chmod(stat.S_IRUSR | stat.S_IWUSR)
