"""Start the Ponto stand-in as its own process and link an organization, for benchmarks."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ("sandbox-client", "sandbox-secret")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def ponto_stand_in() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "sandbox", "ponto", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/sandbox/ponto"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/_control/state", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def link(base: str) -> str:
    """An access token for the demo organization (consent, then code exchange with PKCE)."""
    import base64
    import hashlib

    verifier = "b" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    consent = httpx.post(
        f"{base}/oauth2/auth",
        data={
            "client_id": CLIENT[0],
            "redirect_uri": "http://bench/cb",
            "response_type": "code",
            "scope": "ai",
            "state": "s",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
    token = httpx.post(
        f"{base}/api/oauth2/token",
        auth=CLIENT,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": "http://bench/cb",
        },
    )
    return str(token.json()["access_token"])
