"""customerIpAddress: the address of the person who consented, recorded at the callback and sent with every
synchronization; a proxy's X-Forwarded-For is believed only when that proxy is configured as trusted."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from harness.server import start_server, submit_first_form

PERSON = "203.0.113.7"  # documentation range: where the person's browser is


@pytest.mark.parametrize(("trusted", "expected"), [("127.0.0.1", PERSON), (None, "127.0.0.1")])
def test_the_consenting_persons_address_is_sent_with_each_synchronization(
    tmp_path: Path, trusted: str | None, expected: str
) -> None:
    server = start_server(tmp_path, {"TRUSTED_PROXIES": trusted} if trusted else {})
    try:
        with httpx.Client(timeout=20) as client:
            server.slash(client, "activate")
            message = server.wait_ephemeral(client, "U0DEMO", 1)
            url = next(b["accessory"]["url"] for b in message["blocks"] if b.get("accessory", {}).get("url"))
            redirect = submit_first_form(client, url)
            done = client.get(redirect.headers["location"], headers={"X-Forwarded-For": PERSON})
            assert done.status_code == 200, done.text
            server.wait_quiet()
            state = client.get(f"{server.ponto_base}/_control/state").json()
        assert state["customer_ips"] == [expected]  # every synchronization of the first import
        assert server.records("ponto_connections")[0]["customer_ip"] == expected
    finally:
        server.stop()
