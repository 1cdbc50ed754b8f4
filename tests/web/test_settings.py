"""Configuration: defaults, the .env file, clear errors, the generated token key."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from storage import TokenCipher
from web.logs import redact
from web.settings import ConfigError, Settings, private_database_file, read_env_file, token_keys


def test_defaults_run_both_stand_ins(tmp_path: Path) -> None:
    settings = Settings.from_env({}, env_file=tmp_path / "missing.env")
    assert settings.database_url == "sqlite+aiosqlite:///./ponto-slack.db"
    assert settings.public_url == "http://127.0.0.1:8000" and not settings.public_url_given
    assert settings.slack_mode == "sandbox" and not settings.ponto_is_real
    assert settings.finance_channel == "#finance"


def test_environment_wins_over_the_env_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text('# comment\nFINANCE_CHANNEL="#money"\nexport PUBLIC_URL=https://a.example/\nLOCALE=nl_BE\n')
    settings = Settings.from_env({"LOCALE": "fr_BE"}, env_file=env)
    assert (settings.finance_channel, settings.public_url, settings.locale) == ("#money", "https://a.example", "fr_BE")
    assert settings.public_url_given


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is required"),
        ({"SLACK_CLIENT_ID": "1"}, "Set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"),
        ({"PONTO_CLIENT_ID": "c"}, "PONTO_CLIENT_SECRET is required"),
        ({"PONTO_CERT_FILE": "/c.pem"}, "Set both PONTO_CERT_FILE and PONTO_KEY_FILE"),
        ({"DATABASE_URL": "::not a url::"}, "DATABASE_URL is not a valid"),
        ({"PONTO_CLIENT_ID": "c", "PONTO_CLIENT_SECRET": "s"}, "accepts only mutual TLS: set PONTO_CERT_FILE"),
        ({"PONTO_SIGNATURE_KEY_FILE": "/k.pem"}, "Set both PONTO_SIGNATURE_KEY_FILE and PONTO_SIGNATURE_CERT_ID"),
        ({"PONTO_CUSTOMER_IP": "my laptop"}, "PONTO_CUSTOMER_IP='my laptop' is not an IP address"),
    ],
)
def test_incomplete_configuration_says_what_to_set(tmp_path: Path, environ: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(environ, env_file=tmp_path / "none")


def test_a_malformed_env_file_names_the_line(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("GOOD=1\nthis line has no equals sign\n")
    with pytest.raises(ConfigError, match=r"\.env:2: expected KEY=VALUE"):
        read_env_file(env)


def test_real_modes(tmp_path: Path) -> None:
    single = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, env_file=None)
    oauth = Settings.from_env(
        {"SLACK_CLIENT_ID": "1", "SLACK_CLIENT_SECRET": "2", "SLACK_SIGNING_SECRET": "s"}, env_file=None
    )
    assert (single.slack_mode, oauth.slack_mode) == ("single", "oauth")


def test_token_key_is_generated_once_outside_the_database_folder_and_private(tmp_path: Path, caplog) -> None:
    keys = tmp_path / "keys"
    environ = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/data/app.db", "KEY_DIR": str(keys)}
    settings = Settings.from_env(environ, env_file=None)
    with caplog.at_level(logging.WARNING):
        first = token_keys(settings)
    assert "TOKEN_ENCRYPTION_KEY is not set" in caplog.text
    (key_file,) = keys.glob("app.db-*.key")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not (tmp_path / "data").exists() or not list((tmp_path / "data").glob("*.key"))
    assert token_keys(settings) == first
    TokenCipher.from_setting(first)  # a usable Fernet key


def test_real_credentials_require_an_explicit_key(tmp_path: Path) -> None:
    environ = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/app.db", "KEY_DIR": str(tmp_path / "keys")}
    real = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEY is required with real Slack or Ponto credentials"):
        token_keys(Settings.from_env({**environ, **real}, env_file=None))


def test_the_database_file_is_created_private_and_an_open_one_is_tightened(tmp_path: Path) -> None:
    database = tmp_path / "app.db"
    settings = Settings.from_env({"DATABASE_URL": f"sqlite+aiosqlite:///{database}"}, env_file=None)
    private_database_file(settings)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    database.chmod(0o644)
    private_database_file(settings)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_postgres_requires_an_explicit_key() -> None:
    settings = Settings.from_env({"DATABASE_URL": "postgresql+asyncpg://u@h/db"}, env_file=None)
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEY is required"):
        token_keys(settings)


def test_log_redaction_hides_codes_states_and_tokens() -> None:
    line = (
        '"GET /ponto/callback?code=abc123&state=xyz HTTP/1.1" Authorization: Bearer eyJhbGciOi.x.y '
        "token xoxb-123-456-abc refresh_token=r1"
    )
    cleaned = redact(line)
    for secret in ("abc123", "xyz", "eyJhbGciOi", "xoxb-123", "r1"):
        assert secret not in cleaned
    assert "code=[redacted]" in cleaned and "/ponto/callback" in cleaned
    assert "abc" not in redact("Failed to fetch oauth.v2.access result with code: abc - error")


def test_a_signature_key_that_cannot_be_opened_stops_the_start_with_the_variable_to_set(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from web.wiring import request_signer

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    )
    (tmp_path / "sign.pem").write_bytes(pem)
    environ = {"PONTO_SIGNATURE_KEY_FILE": str(tmp_path / "sign.pem"), "PONTO_SIGNATURE_CERT_ID": "cert-1"}
    with pytest.raises(ConfigError, match="PONTO_SIGNATURE_KEY_PASSPHRASE"):
        request_signer(Settings.from_env({**environ, "PONTO_KEY_PASSPHRASE": "pw"}, env_file=tmp_path / "none"))
    signer = request_signer(
        Settings.from_env({**environ, "PONTO_SIGNATURE_KEY_PASSPHRASE": "pw"}, env_file=tmp_path / "none")
    )
    assert signer is not None


@pytest.mark.parametrize(("host", "warned"), [("0.0.0.0", True), ("127.0.0.1", False)])
def test_the_banner_warns_when_a_stand_in_is_reachable_beyond_this_machine(host: str, warned: bool) -> None:
    from web.cli_server import banner

    text = banner(Settings.from_env({}, env_file=None), host, 8000)
    assert "Ponto side:    SIMULATED" in text and "/sandbox/slack/" in text
    assert ("WARNING: a stand-in with public demo credentials" in text) is warned


@pytest.mark.parametrize(
    ("token", "shown", "hidden"),
    [
        ("demo-api-token", "Bearer demo-api-token", None),
        ("s3cr3t-real-token", "Bearer $API_TOKEN", "s3cr3t-real-token"),
        (None, "answers 503 until API_TOKEN is set", None),
    ],
)
def test_the_banner_says_how_to_import_invoices_and_never_prints_a_real_token(
    token: str | None, shown: str, hidden: str | None
) -> None:
    from web.cli_server import banner

    text = banner(Settings.from_env({"API_TOKEN": token} if token else {}, env_file=None), "127.0.0.1", 8000)
    assert "ponto-slack invoices import FILE" in text and shown in text
    assert hidden is None or hidden not in text
