"""A submitted modal in the Slack stand-in: sent to the app as Slack sends it, and the app's answer
applied only where Slack would apply it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import slack as slack_sandbox
from tests.support.threaded import serve_in_thread

FORM = {
    "type": "modal",
    "callback_id": "pay_single",
    "title": {"type": "plain_text", "text": "Pay"},
    "submit": {"type": "plain_text", "text": "Prepare"},
    "blocks": [
        {"type": "section", "block_id": "summary", "text": {"type": "mrkdwn", "text": "INV-1"}},
        {"type": "input", "block_id": "amount", "label": {"type": "plain_text", "text": "Amount"},
         "element": {"type": "plain_text_input", "action_id": "amount", "initial_value": "10.00", "max_length": 20}},
        {"type": "input", "block_id": "bic", "optional": True, "label": {"type": "plain_text", "text": "BIC"},
         "element": {"type": "plain_text_input", "action_id": "bic"}},
        {"type": "input", "block_id": "account", "label": {"type": "plain_text", "text": "From"},
         "element": {"type": "static_select", "action_id": "account",
                     "options": [{"text": {"type": "plain_text", "text": "Current"}, "value": "1"},
                                 {"text": {"type": "plain_text", "text": "Savings"}, "value": "2"}],
                     "initial_option": {"text": {"type": "plain_text", "text": "Current"}, "value": "1"}}},
        {"type": "input", "block_id": "date", "label": {"type": "plain_text", "text": "Date"},
         "element": {"type": "datepicker", "action_id": "date", "initial_date": "2026-12-01"}},
    ],
}  # fmt: skip


class FakeApp:
    """Answers each view_submission with the next scripted answer, and keeps what it received."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: list[tuple[float, Any]] = []

    async def events(self, request: Request) -> Response:
        payload = json.loads(parse_qs((await request.body()).decode())["payload"][0])
        self.received.append(payload)
        delay, answer = self.answers.pop(0)
        await asyncio.sleep(delay)  # a slow app: the stand-in times the answer
        return JSONResponse(answer) if answer is not None else Response(status_code=200)


@pytest.fixture
def setup() -> Iterator[tuple[slack_sandbox.SlackSandbox, httpx.Client, FakeApp]]:
    fake = FakeApp()
    app = Starlette(routes=[Route("/slack/events", fake.events, methods=["POST"])])
    with serve_in_thread(app) as app_url:
        sandbox = slack_sandbox.SlackSandbox(app_events_url=f"{app_url}/slack/events")
        with serve_in_thread(slack_sandbox.create_standalone_app(sandbox)) as url:
            base = f"{url}/sandbox/slack"
            with httpx.Client(base_url=base, timeout=10) as client:
                yield sandbox, client, fake


def _open(sandbox: slack_sandbox.SlackSandbox, client: httpx.Client, view: dict = FORM) -> str:
    trigger = sandbox.api.issue_trigger("T0DEMO", "U0DEMO")
    headers = {"Authorization": f"Bearer {slack_sandbox.DEFAULT_BOT_TOKEN}"}
    opened = client.post("/api/views.open", json={"trigger_id": trigger, "view": view}, headers=headers).json()
    assert opened["ok"], opened
    return str(opened["view"]["id"])


def _submit(client: httpx.Client, view_id: str, values: dict, user: str = "U0DEMO") -> httpx.Response:
    return client.post("/view_submission", json={"view_id": view_id, "values": values, "user": user})


def test_the_app_gets_the_state_as_slack_sends_it_and_errors_show_in_place(setup: Any) -> None:
    sandbox, client, fake = setup
    view_id = _open(sandbox, client)
    fake.answers.append((0, {"response_action": "errors", "errors": {"amount": "Too much"}}))
    answered = _submit(client, view_id, {"amount": "12.50", "account": "2"}).json()
    assert answered["outcome"] == "errors" and answered["modal"]["errors"] == {"amount": "Too much"}
    sent = fake.received[-1]
    assert sent["type"] == "view_submission" and sent["view"]["id"] == view_id and sent["user"]["id"] == "U0DEMO"
    values = sent["view"]["state"]["values"]
    assert values["amount"]["amount"] == {"type": "plain_text_input", "value": "12.50"}
    assert values["account"]["account"]["selected_option"]["value"] == "2"
    assert values["date"]["date"] == {"type": "datepicker", "selected_date": "2026-12-01"}  # the initial value
    assert values["bic"]["bic"]["value"] is None and sent["trigger_id"]


def test_what_slack_itself_refuses_never_reaches_the_app(setup: Any) -> None:
    sandbox, client, fake = setup
    view_id = _open(sandbox, client)
    assert _submit(client, view_id, {"amount": ""}).json()["modal"]["errors"] == {
        "amount": "Please fill out this field."
    }
    assert "not one of the options" in _submit(client, view_id, {"account": "9"}).json()["modal"]["errors"]["account"]
    assert "at most 20" in _submit(client, view_id, {"amount": "1" * 21}).json()["modal"]["errors"]["amount"]
    assert fake.received == []
    assert _submit(client, view_id, {}, user="U0VIEWER").status_code == 404  # not this person's form


@pytest.mark.parametrize(
    ("answer", "delay"),
    [
        ({"response_action": "errors", "errors": {"summary": "not an input block"}}, 0),
        ({"response_action": "update", "view": {"type": "modal", "blocks": []}}, 0),  # no title
        ({"response_action": "push", "view": FORM}, 0),
        (None, 3.3),  # later than Slack waits
    ],
)
def test_an_answer_slack_would_not_take_shows_its_trouble_message(setup: Any, answer: Any, delay: float) -> None:
    sandbox, client, fake = setup
    view_id = _open(sandbox, client)
    fake.answers.append((delay, answer))
    answered = _submit(client, view_id, {}).json()
    assert answered["outcome"] == "trouble" and "trouble connecting" in answered["modal"]["errors"][""]
    assert not answered["modal"].get("closed")


def test_an_update_replaces_the_view_and_an_empty_answer_closes_it(setup: Any) -> None:
    sandbox, client, fake = setup
    view_id = _open(sandbox, client)
    notice = {"type": "modal", "title": {"type": "plain_text", "text": "Done"}, "blocks": []}
    fake.answers.append((0, {"response_action": "update", "view": notice}))
    updated = _submit(client, view_id, {}).json()
    assert updated["outcome"] == "updated" and updated["modal"]["view"]["title"]["text"] == "Done"
    assert updated["modal"]["view"]["id"] == view_id
    assert _submit(client, view_id, {}).status_code == 400  # no submit button any more
    headers = {"Authorization": f"Bearer {slack_sandbox.DEFAULT_BOT_TOKEN}"}
    again = client.post("/api/views.update", json={"view_id": view_id, "view": FORM}, headers=headers).json()
    assert again["ok"] and sandbox.workspace.modals[view_id]["view"]["callback_id"] == "pay_single"
    fake.answers.append((0, None))
    assert _submit(client, view_id, {}).json()["outcome"] == "closed"
    closed = client.post("/api/views.update", json={"view_id": view_id, "view": notice}, headers=headers).json()
    assert closed == {"ok": False, "error": "not_found"}
