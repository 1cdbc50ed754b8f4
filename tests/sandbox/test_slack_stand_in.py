"""The Slack stand-in refuses what Slack refuses and shows text as Slack shows it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox import slack as slack_sandbox
from sandbox.slack_render import mrkdwn
from sandbox.slack_state import DEFAULT_BOT_TOKEN, Channel
from tests.support.threaded import serve_in_thread


def test_emoji_codes_show_as_emoji_and_times_as_times() -> None:
    from sandbox.slack_render import message_html

    assert (
        mrkdwn(":inbox_tray: 3 new · :no_such_emoji: · 10:30:45", {}) == "\U0001f4e5 3 new · :no_such_emoji: · 10:30:45"
    )
    html = message_html({"ts": "1764412345.000100", "text": "hi"}, "", {}, "bot")
    assert "29 Nov 10:32:25 UTC" in html and "1764412345" not in html.split("id=")[0]


def test_every_emoji_the_app_writes_is_drawn() -> None:
    import re

    from sandbox.slack_render import EMOJI
    from tests.conftest import ROOT

    written = {
        code
        for folder in ("bot", "worker")
        for path in (ROOT / folder).rglob("*.py")
        for code in re.findall(r":([a-z][a-z0-9_+-]+):", path.read_text())
    }
    assert written <= set(EMOJI), written - set(EMOJI)


def test_escaped_outside_text_shows_as_typed_and_control_sequences_as_links() -> None:
    html = mrkdwn("Mallory &lt;!channel&gt; &amp; co <@U1> <https://x.example|pay &amp; go> <!here>", {"U1": "Ada"})
    assert "Mallory &lt;!channel&gt; &amp; co" in html  # the browser shows "<!channel> & co": escaped once
    assert "&amp;lt;" not in html and "&amp;amp;" not in html
    assert "<b>@Ada</b>" in html and ">pay &amp; go</a>" in html and "<i>!here</i>" in html


@pytest.fixture
def api() -> Iterator[tuple[slack_sandbox.SlackSandbox, httpx.Client]]:
    sandbox = slack_sandbox.SlackSandbox(app_events_url="http://127.0.0.1:9/unused")
    sandbox.workspace.channels["G0SECRET"] = Channel("G0SECRET", "secret", is_private=True, members={"U0DEMO"})
    with serve_in_thread(slack_sandbox.create_standalone_app(sandbox)) as url:
        headers = {"Authorization": f"Bearer {DEFAULT_BOT_TOKEN}"}
        with httpx.Client(base_url=f"{url}{slack_sandbox.MOUNT}/api/", headers=headers) as client:
            yield sandbox, client


def test_each_method_needs_its_scope(api: tuple[slack_sandbox.SlackSandbox, httpx.Client]) -> None:
    sandbox, client = api
    sandbox.api.scopes = frozenset({"chat:write", "channels:read"})
    sandbox.api.tokens[DEFAULT_BOT_TOKEN] = sandbox.api.scopes
    listed = client.post("conversations.list", data={"types": "public_channel,private_channel"}).json()
    assert listed == {
        "ok": False,
        "error": "missing_scope",
        "needed": "groups:read",
        "provided": "channels:read,chat:write",
    }
    assert client.post("conversations.list").json()["ok"] is True  # public channels only: channels:read
    assert client.post("users.info", data={"user": "U0DEMO"}).json()["needed"] == "users:read"
    assert client.post("conversations.join", data={"channel": "C0FINANCE"}).json()["needed"] == "channels:join"


def test_membership_private_channels_and_history(api: tuple[slack_sandbox.SlackSandbox, httpx.Client]) -> None:
    sandbox, client = api
    names = [c["name"] for c in client.post("conversations.list", data={"types": "private_channel"}).json()["channels"]]
    assert names == []  # a private channel the app is not in is not listed
    assert client.post("conversations.info", data={"channel": "G0SECRET"}).json()["error"] == "channel_not_found"
    history = client.post("conversations.history", data={"channel": "C0FINANCE"}).json()
    assert history["error"] == "not_in_channel"  # history needs membership, even of a public channel
    assert client.post("chat.postMessage", data={"channel": "C0FINANCE", "text": "hi"}).json()["error"] == (
        "not_in_channel"  # the manifest has no chat:write.public: the app joins first
    )
    assert client.post("conversations.join", data={"channel": "C0FINANCE"}).json()["ok"] is True
    assert client.post("chat.postMessage", data={"channel": "C0FINANCE", "text": "hi"}).json()["ok"] is True
    assert client.post("conversations.history", data={"channel": "C0FINANCE"}).json()["ok"] is True


@pytest.mark.parametrize(
    ("blocks", "text", "error"),
    [
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "t", "invalid_blocks"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "t", "invalid_blocks"),
        ([{"type": "divider"}] * 51, "t", "invalid_blocks"),
        ([], "x" * 40_001, "msg_too_long"),
    ],
)
def test_messages_beyond_slacks_limits_are_refused(
    api: tuple[slack_sandbox.SlackSandbox, httpx.Client], blocks: list, text: str, error: str
) -> None:
    sandbox, client = api
    sandbox.workspace.channels["C0FINANCE"].members.add(sandbox.workspace.bot_user_id)
    answer = client.post("chat.postMessage", json={"channel": "C0FINANCE", "text": text, "blocks": blocks}).json()
    assert answer == {"ok": False, "error": error}
    assert sandbox.workspace.channels["C0FINANCE"].messages == []


def test_a_permalink_is_given_for_a_message_that_exists_in_a_channel_the_app_can_see(
    api: tuple[slack_sandbox.SlackSandbox, httpx.Client],
) -> None:
    _sandbox, client = api
    assert client.post("conversations.join", data={"channel": "C0FINANCE"}).json()["ok"] is True
    ts = client.post("chat.postMessage", data={"channel": "C0FINANCE", "text": "hi"}).json()["ts"]
    link = client.post("chat.getPermalink", data={"channel": "C0FINANCE", "message_ts": ts}).json()
    assert link["ok"] and link["permalink"].endswith("?channel=C0FINANCE#p" + ts.replace(".", ""))
    missing = client.post("chat.getPermalink", data={"channel": "C0FINANCE", "message_ts": "1.000001"}).json()
    assert missing == {"ok": False, "error": "message_not_found"}
    hidden = client.post("chat.getPermalink", data={"channel": "G0SECRET", "message_ts": ts}).json()
    assert hidden == {"ok": False, "error": "channel_not_found"}


def test_each_team_has_its_own_token_and_channels(api: tuple[slack_sandbox.SlackSandbox, httpx.Client]) -> None:
    """An install into another team gives a token that posts there, and only there."""
    sandbox, client = api
    root = str(client.base_url).removesuffix("api/")
    made = client.post(f"{root}_control/workspace", json={"team": "T0OTHER", "team_name": "Other Company"})
    assert made.json()["team_id"] == "T0OTHER"
    query = {"client_id": "sandbox-slack-client", "state": "s", "redirect_uri": "http://app.test/cb", "team": "T0OTHER"}
    assert "Other Company" in client.get(f"{root}oauth/v2/authorize", params=query).text
    approved = client.post(f"{root}oauth/v2/authorize", data=query)
    code = approved.headers["location"].split("code=")[1].split("&")[0]
    credentials = {"client_id": "sandbox-slack-client", "client_secret": "sandbox-slack-secret", "code": code}
    installed = client.post("oauth.v2.access", data=credentials).json()
    assert installed["team"]["id"] == "T0OTHER"
    theirs = {"Authorization": f"Bearer {installed['access_token']}"}
    assert client.post("auth.test", headers=theirs).json()["team_id"] == "T0OTHER"
    assert client.post("conversations.join", headers=theirs, json={"channel": "C0FINANCE"}).json()["ok"]
    posted = client.post("chat.postMessage", headers=theirs, json={"channel": "C0FINANCE", "text": "other"}).json()
    assert posted["ok"], posted
    assert client.post("conversations.join", json={"channel": "C0FINANCE"}).json()["ok"]
    assert client.post("chat.postMessage", json={"channel": "C0FINANCE", "text": "demo"}).json()["ok"]
    assert [m["text"] for m in sandbox.workspaces["T0OTHER"].channels["C0FINANCE"].messages] == ["other"]
    assert [m["text"] for m in sandbox.workspace.channels["C0FINANCE"].messages] == ["demo"]
    history = client.get(f"{root}_control/history", params={"channel": "C0FINANCE", "team": "T0OTHER"}).json()
    assert [m["text"] for m in history["messages"]] == ["other"]
    assert client.get(f"{root}_control/history", params={"channel": "C0FINANCE", "team": "T0NONE"}).status_code == 404


def test_rate_faults_fail_that_share_of_calls_until_cleared(
    api: tuple[slack_sandbox.SlackSandbox, httpx.Client],
) -> None:
    sandbox, client = api
    root = str(client.base_url).removesuffix("api/")
    assert client.post("conversations.join", json={"channel": "C0FINANCE"}).json()["ok"]
    for fault in ({"status": 429, "retry_after": 1, "rate": 0.1}, {"status": 500, "rate": 0.1}):
        assert client.post(f"{root}_control/faults", json={"method": "chat.postMessage", **fault}).status_code == 201
    answers = [client.post("chat.postMessage", json={"channel": "C0FINANCE", "text": "x"}) for _ in range(200)]
    statuses = [a.status_code for a in answers]
    assert 15 <= statuses.count(429) <= 65 and 15 <= statuses.count(500) <= 65
    assert all(a.headers["Retry-After"] == "1" for a in answers if a.status_code == 429)
    assert len(sandbox.workspace.channels["C0FINANCE"].messages) == statuses.count(200)  # a failure posts nothing
    client.delete(f"{root}_control/faults")
    assert client.post("chat.postMessage", json={"channel": "C0FINANCE", "text": "x"}).status_code == 200
    bad = {"method": "chat.postMessage", "status": 500, "rate": 2}
    assert client.post(f"{root}_control/faults", json=bad).status_code == 400


def test_several_app_urls_take_turns() -> None:
    from sandbox.targets import Targets, joined

    spec = joined("http://a:1/, http://b:2", "/slack/events")
    assert spec == "http://a:1/slack/events,http://b:2/slack/events"
    targets = Targets()
    assert [targets.next(spec) for _ in range(3)] == [
        "http://a:1/slack/events",
        "http://b:2/slack/events",
        "http://a:1/slack/events",
    ]


def test_a_confirm_dialog_with_quotes_stays_a_javascript_string() -> None:
    from html import unescape

    from sandbox.slack_render import block_html

    button = {
        "type": "button",
        "action_id": "a",
        "value": "v",
        "text": {"type": "plain_text", "text": "Pay"},
        "confirm": {"text": {"type": "plain_text", "text": "O'Brien\"); alert(1); ('"}},
    }
    html = block_html({"type": "actions", "elements": [button]}, "/action", {})
    handler = unescape(html.split('onsubmit="', 1)[1].split('"', 1)[0])
    assert handler == 'return confirm("O\'Brien\\"); alert(1); (\'")'  # one string argument, nothing run


def test_a_channel_mention_reads_as_the_channels_name() -> None:
    assert mrkdwn("Updates go to <#C0FINANCE>, not <#C0GONE>", {"C0FINANCE": "finance"}) == (
        "Updates go to <b>#finance</b>, not <b>#C0GONE</b>"
    )


def test_dates_show_in_the_readers_time_zone() -> None:
    from sandbox.slack_render import message_html

    text = "Last sync: <!date^1795991526^{date_short_pretty} {time}|29 Nov 2026 22:32 UTC>"
    html = message_html({"ts": "1795991526.000100", "text": text}, "", {}, "bot", "Europe/Brussels")
    assert "29 Nov 2026 23:32 CET" in html and "29 Nov 23:32:06 CET" in html  # the text's date, the message's time
    assert "22:32 UTC" not in html
    broken = mrkdwn("<!date^soon^{date}|some day>", {}, "Europe/Brussels")
    assert broken == "<i>some day</i>"  # not a time: the fallback, as Slack shows it


def test_a_modal_opens_once_per_trigger_within_three_seconds_and_as_slack_checks_it(
    api: tuple[slack_sandbox.SlackSandbox, httpx.Client],
) -> None:
    sandbox, client = api
    field = {"type": "input", "block_id": "amount", "label": {"type": "plain_text", "text": "Amount"},
             "element": {"type": "plain_text_input", "action_id": "value"}}  # fmt: skip
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Pay INV-1"},
             "submit": {"type": "plain_text", "text": "Pay"}, "blocks": [field]}  # fmt: skip

    def open_with(trigger: str, view: dict = modal) -> dict:
        return client.post("views.open", json={"trigger_id": trigger, "view": view}).json()

    trigger = sandbox.api.issue_trigger("T0DEMO", "U0DEMO")
    opened = open_with(trigger)
    assert opened["ok"] and sandbox.workspace.modals[opened["view"]["id"]]["user"] == "U0DEMO"
    assert open_with(trigger)["error"] == "exchanged_trigger_id"  # once only
    assert open_with("123.made-up")["error"] == "invalid_trigger_id"
    late = sandbox.api.issue_trigger("T0DEMO", "U0DEMO")
    team, user, given = sandbox.api.triggers[late]
    sandbox.api.triggers[late] = (team, user, given - 4)
    assert open_with(late)["error"] == "expired_trigger_id"
    no_submit = {k: v for k, v in modal.items() if k != "submit"}
    long_title = {**modal, "title": {"type": "plain_text", "text": "Pay the invoice INV-2026-0001 now"}}
    for bad in (no_submit, long_title, {**modal, "type": "home"}):
        assert open_with(sandbox.api.issue_trigger("T0DEMO", "U0DEMO"), bad)["error"] == "invalid_arguments"
