"""The App Home tab, opened as a person opens it on the Slack stand-in's page: before connecting (an admin
gets a Connect button that answers in the DM, others are told whom to ask), then with accounts, open
invoices, a question answered from the tab itself, and the paid invoice listed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from harness.server import Server, ponto_control, start_server, submit_first_form

TOKEN = "home-api-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ADMIN, VIEWER = "U0DEMO", "U0VIEWER"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("home"), {"API_TOKEN": TOKEN, "DIGEST_THRESHOLD": "1000"})
    try:
        yield running
    finally:
        running.stop()


def open_home(server: Server, client: httpx.Client, user: str) -> dict:
    """Open the tab on the page (which sends app_home_opened) and return the view the app published."""
    page = client.get(f"{server.slack_base}/", params={"user": user, "tab": "home"})
    assert page.status_code == 200
    view = client.get(f"{server.slack_base}/_control/home", params={"user": user}).json()["view"]
    assert view is not None, server.log()[-3000:]
    return view


def click_home(server: Server, client: httpx.Client, user: str, action_id: str, value: str) -> None:
    form = {"user": user, "view": "home", "action_id": action_id, "value": value}
    response = client.post(f"{server.slack_base}/action", data=form, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text


def dm(server: Server, client: httpx.Client, user: str) -> list[dict]:
    """The app's DM with the person, newest first (none before the app first writes there)."""
    response = client.get(f"{server.slack_base}/_control/history", params={"channel": f"D{user}"})
    return list(response.json()["messages"]) if response.status_code == 200 else []


def wait(condition, what: str, timeout: float = 20):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def elements(view: dict) -> list[dict]:
    return [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_the_home_tab_follows_the_connection_the_invoices_and_the_questions(server: Server) -> None:
    with httpx.Client(timeout=20) as client:
        assert client.delete(f"{server.ponto_base}/_control/transactions").status_code == 200
        viewer_home = open_home(server, client, VIEWER)
        assert "can connect it" in str(viewer_home) and not elements(viewer_home)  # nothing to press
        admin_home = open_home(server, client, ADMIN)
        assert [e["action_id"] for e in elements(admin_home)] == ["home_connect"]

        # Connect from the tab: the consent link arrives in the DM (the tab has no response_url).
        click_home(server, client, ADMIN, "home_connect", "connect")
        link_message = wait(lambda: dm(server, client, ADMIN), "the consent link in the DM")[0]
        url = next(b["accessory"]["url"] for b in link_message["blocks"] if b.get("accessory", {}).get("url"))
        approved = submit_first_form(client, url)
        assert approved.status_code == 303 and client.get(approved.headers["location"]).status_code == 200
        server.wait_quiet()
        home = open_home(server, client, ADMIN)
        assert "Connected by <@U0DEMO>" in str(home) and "BE50 7370 1234 5618" in str(home)
        assert [e["action_id"] for e in elements(home)] == ["home_sync"]
        assert "Invoices*: none imported yet" in str(home)

        today = datetime.now(UTC).date()
        invoices = [
            {
                "number": n,
                "customer": c,
                "amount": "500.00",
                "currency": "EUR",
                "issue_date": str(today - timedelta(40)),
                "due_date": str(today - timedelta(10)),
            }
            for n, c in (("INV-H-1", "Alpha BV"), ("INV-H-2", "Beta SRL"))
        ]
        invoices.append(
            {
                "number": "PUR-H-1",
                "customer": "Supplier NV",
                "amount": "80.00",
                "currency": "EUR",
                "issue_date": str(today),
                "kind": "purchase",
            }
        )
        posted = client.post(f"{server.url}/api/invoices", json=invoices, headers=AUTH)
        assert posted.status_code in (200, 201), posted.text
        account = next(iter(client.get(f"{server.ponto_base}/_control/state").json()["accounts"]))
        line = {
            "amount": "500.00",
            "remittanceInformation": "Betaling",
            "counterpartName": "Someone",
            "remittanceInformationType": "unstructured",
            "counterpartReference": "BE62510007547061",
        }
        ponto_control(server, client, "transactions", {"account_id": account, "transactions": [line]})
        home = wait(
            lambda: (v := open_home(server, client, ADMIN)) and "See it in the channel" in str(v) and v,
            "the question in the tab, linked to the channel once posted there",
        )
        text = str(home)
        assert "*Receivables*: 2 open, *2 overdue*" in text and "*Payables*: 1 open" in text
        assert "1 payment(s) wait for an answer" in text
        picks = {e["value"].split(":")[1]: e for e in elements(home) if e["action_id"].startswith("match_pick_")}
        assert set(picks) == {"INV-H-1", "INV-H-2", "none"}

        # Answered from the tab: the reply comes in the DM, the channel's question closes, the tab moves on.
        before = len(dm(server, client, VIEWER))
        open_home(server, client, VIEWER)
        pick = picks["INV-H-2"]
        click_home(server, client, VIEWER, pick["action_id"], pick["value"])
        reply = wait(lambda: dm(server, client, VIEWER)[: len(dm(server, client, VIEWER)) - before], "the reply")
        assert "marked paid" in reply[0]["text"]

        def published() -> dict | None:  # the tab as the app published it after the click, not reopened
            view = client.get(f"{server.slack_base}/_control/home", params={"user": VIEWER}).json()["view"]
            return view if "Last invoices paid" in str(view) else None

        after = wait(published, "the tab published again after the click")
        assert "No payment waits for an answer" in str(after) and "INV-H-2" in str(after)
        # A change made elsewhere (an invoice arriving through the API) reaches a tab nobody reopened.
        assert "*Receivables*: 1 open" in str(open_home(server, client, ADMIN))
        more = {**invoices[0], "number": "INV-H-9"}
        assert client.post(f"{server.url}/api/invoices", json=[more], headers=AUTH).status_code in (200, 201)

        def republished() -> bool:
            view = client.get(f"{server.slack_base}/_control/home", params={"user": ADMIN}).json()["view"]
            return "*Receivables*: 2 open" in str(view)

        wait(republished, "the admin's tab published again after the change", timeout=30)
        closed = [m["text"] for m in server.history(client) if "INV-H-2 chosen by <@U0VIEWER>" in m["text"]]
        assert len(closed) == 1 and not [m for m in server.history(client) if m["text"].startswith("Which invoice")]


def test_a_stale_home_button_is_refused_by_the_stand_in(server: Server) -> None:
    with httpx.Client(timeout=20) as client:
        form = {"user": ADMIN, "view": "home", "action_id": "match_pick_0", "value": "999:NOPE"}
        assert client.post(f"{server.slack_base}/action", data=form).status_code == 404
