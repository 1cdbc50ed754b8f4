"""The Ponto stand-in as its own process over TLS that requires a client certificate."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.clock import cli_command
from harness.server import free_port
from ponto import OAuthClientConfig, PontoClient, PontoOAuth, PontoTransportError, RetryPolicy
from ponto.tls import client_context
from sandbox import ponto as stand_in
from tests.support.certs import Pki, make_pki
from tests.support.ponto import consent_code


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_stand_in(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("tls") / "stand-in.log").open("wb")
    process = subprocess.Popen(
        cli_command(
            "sandbox",
            "ponto",
            "--port",
            str(port),
            "--tls-cert",
            str(pki.server_cert),
            "--tls-key",
            str(pki.server_key),
            "--tls-client-ca",
            str(pki.ca),
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 30
        while True:  # listening, or the test stops here: "refused" must never pass against a dead server
            assert process.poll() is None, "the TLS stand-in exited before it listened"
            assert time.monotonic() < deadline, "the TLS stand-in did not listen within 30 s"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        yield f"https://127.0.0.1:{port}{stand_in.MOUNT}"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_with_the_client_certificate_the_whole_flow_works(pki: Pki, tls_stand_in: str) -> None:
    context = client_context(str(pki.client_cert), str(pki.client_key), pki.passphrase, ca_file=str(pki.ca))
    async with httpx.AsyncClient(verify=context, timeout=10) as http:
        verifier = "m" * 64
        code = await consent_code(
            http, tls_stand_in, redirect_uri="https://app.test/cb", scope="ai name offline_access", verifier=verifier
        )
        oauth = PontoOAuth(
            http, OAuthClientConfig(f"{tls_stand_in}/api", stand_in.DEFAULT_CLIENT_ID, stand_in.DEFAULT_CLIENT_SECRET)
        )
        tokens = await oauth.exchange_code(code, redirect_uri="https://app.test/cb", verifier=verifier)
        client = PontoClient(http, api_url=f"{tls_stand_in}/api", access_token=tokens.access_token)
        assert len(await client.list_accounts()) == 3


@pytest.mark.parametrize("who", ["no_certificate", "certificate_of_another_ca"])
async def test_without_a_trusted_client_certificate_the_handshake_is_refused(
    pki: Pki, tls_stand_in: str, who: str
) -> None:
    if who == "no_certificate":
        context = client_context(ca_file=str(pki.ca))
    else:
        context = client_context(str(pki.stranger_cert), str(pki.stranger_key), ca_file=str(pki.ca))
    async with httpx.AsyncClient(verify=context, timeout=10) as http:
        client = PontoClient(http, api_url=f"{tls_stand_in}/api", access_token="x", retry=RetryPolicy(attempts=1))
        with pytest.raises(PontoTransportError):
            await client.userinfo()


async def test_the_settings_path_presents_the_configured_certificate(
    pki: Pki, tls_stand_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PONTO_CERT_FILE / PONTO_KEY_FILE / PONTO_KEY_PASSPHRASE, exactly as `serve` builds its client."""
    from web.settings import Settings
    from web.wiring import ponto_http_client

    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca))  # trust the throwaway CA as the system store would
    settings = Settings.from_env(
        {
            "PONTO_CERT_FILE": str(pki.client_cert),
            "PONTO_KEY_FILE": str(pki.client_key),
            "PONTO_KEY_PASSPHRASE": pki.passphrase,
        },
        env_file=None,
    )
    async with ponto_http_client(settings) as http:
        response = await http.get(f"{tls_stand_in}/api/userinfo")
    assert response.status_code == 401  # TLS accepted; the API itself now asks for a token
