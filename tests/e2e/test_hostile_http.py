"""Hostile requests against the server as a process: bounded before they cost anything, clear answers."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.server import Server, connect, start_server

TOKEN = "hostile-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
INVOICE = {"number": "H-1", "customer": "Acme", "amount": "10.00", "currency": "EUR", "issue_date": "2026-11-01"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("hostile"), {"API_TOKEN": TOKEN})
    try:
        with httpx.Client(timeout=20) as client:
            connect(running, client)  # a workspace: the API answers about invoices, not about setup
        yield running
    finally:
        running.stop()


def _rss_mib(server: Server) -> float:
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) / 1024


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1e999990", "without an exponent"),
        ("1e17", "without an exponent"),
        ("99999999999999", "larger than the limit of 999999999999.99"),
        ("NaN", "not an amount"),
        ("0", "is zero"),
    ],
)
def test_amounts_are_bounded_before_any_conversion(server: Server, amount: str, message: str) -> None:
    started = time.monotonic()
    answer = httpx.post(f"{server.url}/api/invoices", json=[{**INVOICE, "amount": amount}], headers=AUTH, timeout=20)
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["errors"]
    assert error["location"] == "invoices[0].amount" and message in error["message"]
    assert time.monotonic() - started < 2  # it used to keep the event loop busy for 28 s


def test_an_unknown_currency_and_deep_nesting_are_422_not_500(server: Server) -> None:
    bad = httpx.post(f"{server.url}/api/invoices", json=[{**INVOICE, "currency": "EUX"}], headers=AUTH)
    assert bad.status_code == 422 and "ISO 4217" in bad.text
    deep = httpx.post(
        f"{server.url}/api/invoices",
        content=b"[" * 100_000 + b"]" * 100_000,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert deep.status_code == 422 and "nested deeper" in deep.text
    lowercase = httpx.post(f"{server.url}/api/invoices", json=[INVOICE], headers={"Authorization": f"bearer {TOKEN}"})
    assert lowercase.status_code == 201  # the scheme is case-insensitive (RFC 7235)


@pytest.mark.parametrize("path", ["/ponto/webhooks", "/slack/events", "/api/invoices"])
def test_a_huge_unauthenticated_body_is_refused_while_streaming(server: Server, path: str) -> None:
    """200 MiB sent chunked (no Content-Length to trust): 413 once the route's limit is passed, memory flat."""
    before = _rss_mib(server)
    chunk = b"x" * (1024 * 1024)

    def body() -> Iterator[bytes]:
        for _ in range(200):
            yield chunk

    try:
        answer = httpx.post(f"{server.url}{path}", content=body(), timeout=30)
        assert answer.status_code == 413, answer.text
    except httpx.WriteError:
        pass  # the server answered and closed while the client was still sending: also a refusal
    assert _rss_mib(server) - before < 30
    assert _declared_size_answer(server, path, 10**9).startswith("HTTP/1.1 413")  # refused before reading


def _declared_size_answer(server: Server, path: str, size: int) -> str:
    """A request that announces a huge body and sends none of it (httpx will not): the status line back."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {size}\r\n\r\n".encode())
        return conn.recv(200).decode("latin-1")


def test_unsigned_slack_bodies_never_reach_bolt(server: Server) -> None:
    for body in (b"payload=%7B%22type%22%3A", b"\xff\xfe", b"command=/ponto&text=status"):
        answer = httpx.post(f"{server.url}/slack/events", content=body)
        assert answer.status_code == 401, answer.text
    assert "Traceback" not in server.log()


def test_the_apps_html_pages_carry_security_headers(server: Server) -> None:
    page = httpx.get(f"{server.url}/ponto/callback", params={"state": "forged", "code": "x"})
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["x-content-type-options"] == "nosniff"
