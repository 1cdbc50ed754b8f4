"""A workspace switched to Dutch, then to French: the channel is told in that language (the first messages
translated so far: the language answer itself and the accounts overview), amounts written as the locale
writes them; other workspaces and private answers keep theirs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.server import Server, connect, ponto_control, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("languages"), {"SLACK_MESSAGES_PER_SECOND": "20"})
    try:
        yield running
    finally:
        running.stop()


def answer(server: Server, client: httpx.Client, text: str, user: str = "U0DEMO") -> str:
    before = len(server.ephemerals(client, user))
    server.slash(client, text, user=user)
    return str(server.wait_ephemeral(client, user, before + 1)["text"])


def overview(server: Server, client: httpx.Client, header: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for message in server.history(client):
            if any(b.get("type") == "header" and b["text"]["text"] == header for b in message.get("blocks", [])):
                return message
        time.sleep(0.1)
    raise AssertionError(f"no overview headed {header!r}: {[m['text'] for m in server.history(client)][:5]}")


def wait_for(server: Server, client: httpx.Client, text: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for message in server.history(client):
            if text in message["text"]:
                return message
        time.sleep(0.1)
    raise AssertionError(f"no message with {text!r}: {[m['text'] for m in server.history(client)][:5]}")


def words(message: dict[str, Any]) -> str:
    return " ".join(str((b.get("text") or {}).get("text", "")) for b in message.get("blocks", []))


def test_the_channel_is_told_in_the_language_an_admin_chose(server: Server) -> None:
    with httpx.Client(timeout=20) as client:
        assert "The channel is told in English" in answer(server, client, "language", user="U0VIEWER")
        assert "not a language the app speaks" in answer(server, client, "language de")
        refused = answer(server, client, "language nl", user="U0VIEWER")
        assert "Only Slack workspace admins" in refused
        assert answer(server, client, "language nl") == "Vanaf nu krijgt het kanaal de berichten in het Nederlands."
        connect(server, client)
        dutch = overview(server, client, "Bankrekeningen gekoppeld")
        assert dutch["text"] == "Ponto gekoppeld: 3 rekeningen van Demo Company BV"
        assert "Saldo €\u00a012.840,55" in words(dutch)  # as babel writes nl_BE amounts
        account = next(iter(client.get(f"{server.ponto_base}/_control/state").json()["accounts"]))
        line = {"amount": "480.00", "counterpartName": "J. Peeters", "remittanceInformation": "Huur december",
                "remittanceInformationType": "unstructured", "counterpartReference": "BE62510007547061"}  # fmt: skip
        ponto_control(server, client, "transactions", {"account_id": account, "transactions": [line]})
        booked = wait_for(server, client, "van J. Peeters op")
        assert "Mededeling: Huur december" in str(booked["blocks"]) and "*Bedrag*" in str(booked["blocks"])

        assert answer(server, client, "language fr") == "Désormais, le canal reçoit les messages en français."
        connect(server, client)  # connected again: a new overview, now in French
        french = overview(server, client, "Comptes bancaires connectés")
        assert "Solde 13\u202f320,55\u00a0€" in words(french)  # and fr_BE amounts (480,00 € more since)
        assert "<@U0DEMO> a lié 3 comptes de *Demo Company BV*." in words(french)
