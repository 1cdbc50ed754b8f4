"""The notifier against the Slack stand-in over real HTTP: names resolved, metadata set, errors kept."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.app import web_client
from bot.notifier import Notifier
from sandbox import slack as slack_sandbox
from sandbox.slack_state import DEFAULT_BOT_TOKEN, Channel
from storage import create_engine, make_sessionmaker, outbox, workspaces
from storage.migrate import upgrade_async
from storage.models import OutboxMessage
from tests.support.threaded import serve_in_thread

NOW = datetime.now(UTC).replace(microsecond=0)  # the Slack stand-in stamps messages with the real clock
OVERVIEW = {
    "organization_name": "Acme",
    "connected_by": "U0DEMO",
    "accounts": [
        {
            "iban": "BE68539007547034",
            "name": "Current",
            "currency": "EUR",
            "current_balance": 100,
            "available_balance": 100,
        }
    ],
}


@pytest.fixture
def stand_in() -> Iterator[tuple[slack_sandbox.SlackSandbox, str]]:
    sandbox = slack_sandbox.SlackSandbox(app_events_url="http://127.0.0.1:9/unused")
    sandbox.workspace.channels["G0SECRET"] = Channel("G0SECRET", "secret", is_private=True)
    with serve_in_thread(slack_sandbox.create_standalone_app(sandbox)) as url:
        yield sandbox, f"{url}{slack_sandbox.MOUNT}/api/"


@pytest.fixture
async def sessions(sqlite_url: str) -> AsyncIterator[async_sessionmaker]:
    await upgrade_async(sqlite_url)
    engine = create_engine(sqlite_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def _queue(sessions: async_sessionmaker, channel: str, kind: str = "accounts_overview") -> int:
    async with sessions.begin() as session:
        workspace = await workspaces.get_or_create(session, "T0DEMO", finance_channel="#finance")
        message = await outbox.enqueue(
            session, workspace_id=workspace.id, channel=channel, kind=kind, payload=OVERVIEW, now=NOW
        )
        assert message is not None
        return message.id


def _notifier(sessions: async_sessionmaker, client: AsyncWebClient) -> Notifier:
    async def client_for_team(team_id: str) -> AsyncWebClient:
        return client

    return Notifier(sessions, client_for_team, locale="en_BE", clock=lambda: NOW, pace_seconds=0.05)


async def test_delivers_by_channel_name_with_outbox_metadata(stand_in, sessions: async_sessionmaker) -> None:
    sandbox, api_url = stand_in
    first = await _queue(sessions, "#finance")
    second = await _queue(sessions, "finance")
    notifier = _notifier(sessions, web_client(DEFAULT_BOT_TOKEN, api_url))
    assert await notifier.deliver_due() == 2
    assert await notifier.deliver_due() == 0  # nothing is posted twice
    posted = sandbox.workspace.channels["C0FINANCE"].messages
    assert [m["metadata"]["event_payload"]["outbox_id"] for m in posted] == [first, second]
    async with sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [(r.status, r.slack_channel_id, r.slack_ts) for r in rows] == [
        ("sent", "C0FINANCE", posted[0]["ts"]),
        ("sent", "C0FINANCE", posted[1]["ts"]),
    ]


async def _rows(sessions: async_sessionmaker) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def _paused(sessions: async_sessionmaker) -> str | None:
    async with sessions() as session:
        workspace = await workspaces.get_by_team(session, "T0DEMO")
        return workspace.slack_paused_reason if workspace else None


@pytest.mark.parametrize(
    ("channel", "reason"),
    [("#no-such-channel", "channel_not_found"), ("G0SECRET", "channel_not_found"), ("#secret", "channel_not_found")],
)
async def test_a_refused_channel_pauses_the_workspace_and_keeps_the_outbox(stand_in, sessions, channel, reason):
    sandbox, api_url = stand_in
    await _queue(sessions, channel)
    await _queue(sessions, "#finance")
    notifier = _notifier(sessions, web_client(DEFAULT_BOT_TOKEN, api_url))
    await notifier.deliver_due()
    assert await _paused(sessions) == reason
    assert [r.status for r in await _rows(sessions)] == ["pending", "pending"]  # nothing lost
    assert await notifier.deliver_due() == 0  # and nothing posted while paused
    assert sandbox.workspace.channels["C0FINANCE"].messages == []


async def test_a_message_of_an_unknown_kind_fails_alone(stand_in, sessions) -> None:
    sandbox, api_url = stand_in
    await _queue(sessions, "#finance", kind="from_a_newer_version")
    await _queue(sessions, "#finance")
    await _notifier(sessions, web_client(DEFAULT_BOT_TOKEN, api_url)).deliver_due()
    rows = await _rows(sessions)
    assert [(r.status, r.last_error) for r in rows] == [
        ("failed", "unknown message kind 'from_a_newer_version'"),
        ("sent", None),
    ]
    assert len(sandbox.workspace.channels["C0FINANCE"].messages) == 1


async def test_a_revoked_token_pauses_posting(stand_in, sessions) -> None:
    _sandbox, api_url = stand_in
    await _queue(sessions, "#finance")
    await _notifier(sessions, web_client("xoxb-revoked", api_url)).deliver_due()
    assert await _paused(sessions) == "invalid_auth"
    assert [r.status for r in await _rows(sessions)] == ["pending"]


async def test_unreachable_slack_is_retried_later(sessions) -> None:
    await _queue(sessions, "C0FINANCE")
    await _queue(sessions, "C0FINANCE")
    await _notifier(sessions, web_client(DEFAULT_BOT_TOKEN, "http://127.0.0.1:9/api/")).deliver_due()
    first, second = await _rows(sessions)
    assert first.status == "pending" and first.attempts == 1 and first.next_attempt_at > NOW
    assert second.status == "pending" and second.next_attempt_at >= first.next_attempt_at  # order kept


async def test_rate_limited_for_a_while_every_message_arrives_in_order(stand_in, sessions) -> None:
    sandbox, api_url = stand_in
    ids = [await _queue(sessions, "#finance") for _ in range(6)]
    # 429 six times in a row: more than the client's own retries, so the notifier must hold and come back.
    sandbox.api.faults.append({"method": "chat.postMessage", "status": 429, "retry_after": 0, "count": 6})
    clock = [NOW]

    async def client_for_team(team_id: str) -> AsyncWebClient:
        return web_client(DEFAULT_BOT_TOKEN, api_url)

    notifier = Notifier(sessions, client_for_team, locale="en_BE", clock=lambda: clock[0], pace_seconds=0.01)
    for _ in range(20):
        await notifier.deliver_due()
        clock[0] += timedelta(minutes=10)
        if all(r.status == "sent" for r in await _rows(sessions)):
            break
    posted = [m["metadata"]["event_payload"]["outbox_id"] for m in sandbox.workspace.channels["C0FINANCE"].messages]
    assert posted == ids


async def test_after_a_crash_a_posted_message_is_found_not_posted_again(stand_in, sessions) -> None:
    sandbox, api_url = stand_in
    message_id = await _queue(sessions, "#finance")
    client = web_client(DEFAULT_BOT_TOKEN, api_url)
    notifier = _notifier(sessions, client)
    async with sessions.begin() as session:  # a notifier claims it, posts it, and dies before marking it sent
        (row,) = await outbox.claim_due(session, now=NOW)
    await notifier.poster.post(client, "C0FINANCE", "posted before the crash", [], message_id)
    later = Notifier(
        sessions, lambda team: _same(client), locale="en_BE", clock=lambda: NOW + outbox.LEASE + timedelta(seconds=1)
    )
    assert await later.deliver_due() == 1
    assert len(sandbox.workspace.channels["C0FINANCE"].messages) == 1
    (row,) = await _rows(sessions)
    assert row.status == "sent" and row.slack_ts == sandbox.workspace.channels["C0FINANCE"].messages[0]["ts"]


def _called(sandbox: slack_sandbox.SlackSandbox, method: str) -> int:
    return sum(1 for name, _params in sandbox.api.calls if name == method)


async def test_a_name_is_resolved_once_stored_by_id_and_the_public_channel_joined(stand_in, sessions) -> None:
    sandbox, api_url = stand_in
    await _queue(sessions, "#finance")
    await _queue(sessions, "#finance")
    await _notifier(sessions, web_client(DEFAULT_BOT_TOKEN, api_url)).deliver_due()
    finance = sandbox.workspace.channels["C0FINANCE"]
    assert len(finance.messages) == 2 and sandbox.workspace.bot_user_id in finance.members  # joined: history works
    async with sessions() as session:
        workspace = await workspaces.get_by_team(session, "T0DEMO")
    assert workspace is not None and workspace.finance_channel == "C0FINANCE"
    assert _called(sandbox, "conversations.list") == 1 and _called(sandbox, "conversations.join") == 1
    assert {r.channel for r in await _rows(sessions)} == {"C0FINANCE"}


async def test_a_private_channel_the_app_was_invited_to_is_found_by_name(stand_in, sessions) -> None:
    sandbox, api_url = stand_in
    sandbox.workspace.channels["G0SECRET"].members.add(sandbox.workspace.bot_user_id)
    await _queue(sessions, "#secret")
    await _notifier(sessions, web_client(DEFAULT_BOT_TOKEN, api_url)).deliver_due()
    assert [r.status for r in await _rows(sessions)] == ["sent"]
    assert len(sandbox.workspace.channels["G0SECRET"].messages) == 1


async def test_a_rate_limited_post_is_not_looked_up_but_one_after_a_server_error_is(stand_in, sessions) -> None:
    """Slack answering 429 means nothing was posted; a 5xx may have posted, so the channel is read first."""
    sandbox, api_url = stand_in
    sandbox.workspace.channels["C0FINANCE"].members.add(sandbox.workspace.bot_user_id)
    await _queue(sessions, "C0FINANCE")
    clock = [NOW]

    async def client_for_team(team_id: str) -> AsyncWebClient:
        return AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=api_url)  # no client retries: one answer each

    notifier = Notifier(sessions, client_for_team, locale="en_BE", clock=lambda: clock[0], pace_seconds=0.01)
    sandbox.api.faults.append({"method": "chat.postMessage", "status": 429, "retry_after": 0, "count": 2})
    for _ in range(3):
        await notifier.deliver_due()
        clock[0] += timedelta(minutes=10)
    assert [r.status for r in await _rows(sessions)] == ["sent"]
    assert _called(sandbox, "conversations.history") == 0

    await _queue(sessions, "C0FINANCE")
    sandbox.api.faults.append({"method": "chat.postMessage", "status": 503, "count": 1})
    for _ in range(2):
        await notifier.deliver_due()
        clock[0] += timedelta(minutes=10)
    assert [r.status for r in await _rows(sessions)] == ["sent", "sent"]
    assert _called(sandbox, "conversations.history") == 1


async def test_a_refused_lookup_does_not_stop_posting(stand_in, sessions) -> None:
    """The app left the channel: history answers not_in_channel; the post still goes out (after joining)."""
    sandbox, api_url = stand_in
    message_id = await _queue(sessions, "C0FINANCE")
    async with sessions.begin() as session:  # claimed by a notifier that died: the outcome is unknown
        await outbox.claim_due(session, now=NOW)
    later = Notifier(
        sessions,
        lambda team: _same(web_client(DEFAULT_BOT_TOKEN, api_url)),
        locale="en_BE",
        clock=lambda: NOW + outbox.LEASE + timedelta(seconds=1),
    )
    assert await later.deliver_due() == 1
    assert await _paused(sessions) is None
    (row,) = await _rows(sessions)
    assert row.status == "sent" and row.id == message_id
    assert _called(sandbox, "conversations.history") == 1
    assert len(sandbox.workspace.channels["C0FINANCE"].messages) == 1


async def _same(client: AsyncWebClient) -> AsyncWebClient:
    return client


async def test_the_person_who_connected_is_told_once_what_to_fix(stand_in, sessions) -> None:
    from storage.models import PontoConnection

    sandbox, api_url = stand_in
    await _queue(sessions, "#no-such-channel")
    await _queue(sessions, "#no-such-channel")
    async with sessions.begin() as session:
        workspace = await workspaces.get_by_team(session, "T0DEMO")
        assert workspace is not None
        session.add(
            PontoConnection(
                workspace_id=workspace.id, organization_id="o", status="active", connected_by="U0DEMO", scope="ai"
            )
        )
    notifier = _notifier(sessions, web_client(DEFAULT_BOT_TOKEN, api_url))
    await notifier.deliver_due()
    await notifier.deliver_due()
    dm = sandbox.workspace.channels["DU0DEMO"].messages
    assert len(dm) == 1 and "finance messages are on hold" in dm[0]["text"] and "/ponto resume" in dm[0]["text"]


async def test_slack_posting_then_answering_500_still_gives_each_message_once(stand_in, sessions) -> None:
    """The notifier's client does not re-send after a 5xx by itself; the notifier looks the post up first."""
    sandbox, api_url = stand_in
    sandbox.workspace.channels["C0FINANCE"].members.add(sandbox.workspace.bot_user_id)
    ids = [await _queue(sessions, "C0FINANCE") for _ in range(3)]
    sandbox.api.faults.append({"method": "chat.postMessage", "status": 500, "after_posting": True, "count": 3})
    clock = [NOW]

    async def client_for_team(team_id: str) -> AsyncWebClient:
        return web_client(DEFAULT_BOT_TOKEN, api_url, delivery=True)

    notifier = Notifier(sessions, client_for_team, locale="en_BE", clock=lambda: clock[0], pace_seconds=0.01)
    for _ in range(12):
        await notifier.deliver_due()
        clock[0] += timedelta(minutes=10)
        if all(r.status == "sent" for r in await _rows(sessions)):
            break
    posted = [m["metadata"]["event_payload"]["outbox_id"] for m in sandbox.workspace.channels["C0FINANCE"].messages]
    assert posted == ids  # each once, in order
    assert [r.slack_ts for r in await _rows(sessions)] == [
        m["ts"] for m in sandbox.workspace.channels["C0FINANCE"].messages
    ]


async def test_a_layout_slack_refuses_goes_out_as_plain_text_and_status_says_so(stand_in, sessions) -> None:
    from worker.status import status

    sandbox, api_url = stand_in
    sandbox.workspace.channels["C0FINANCE"].members.add(sandbox.workspace.bot_user_id)
    await _queue(sessions, "C0FINANCE")
    sandbox.api.faults.append({"method": "chat.postMessage", "error": "invalid_blocks", "count": 1})
    await _notifier(sessions, web_client(DEFAULT_BOT_TOKEN, api_url)).deliver_due()
    (posted,) = sandbox.workspace.channels["C0FINANCE"].messages
    assert posted["blocks"] == [] and posted["text"].startswith("Ponto connected")
    assert "shown as plain text" in posted["text"]
    (row,) = await _rows(sessions)
    assert row.status == "sent" and row.slack_ts == posted["ts"]
    async with sessions() as session:
        assert (await status(session, "T0DEMO")).plain_text_messages == 1


async def test_a_429_waits_for_retry_after_then_posts_in_the_same_round(stand_in, sessions) -> None:
    import time

    sandbox, api_url = stand_in
    sandbox.workspace.channels["C0FINANCE"].members.add(sandbox.workspace.bot_user_id)
    await _queue(sessions, "C0FINANCE")
    sandbox.api.faults.append({"method": "chat.postMessage", "status": 429, "retry_after": 1, "count": 1})
    started = time.monotonic()
    await _notifier(sessions, web_client(DEFAULT_BOT_TOKEN, api_url, delivery=True)).deliver_due()
    assert time.monotonic() - started >= 0.9  # Slack's Retry-After honoured, not hammered
    assert [r.status for r in await _rows(sessions)] == ["sent"]


async def test_told_to_stop_it_finishes_the_message_under_way_and_gives_the_rest_back(
    stand_in, sessions: async_sessionmaker
) -> None:
    """A SIGTERM during a batch: one message posted, the others queued again at once, not leased away."""
    import asyncio

    sandbox, api_url = stand_in
    queued = [await _queue(sessions, "#finance") for _ in range(3)]
    stop = asyncio.Event()
    client = web_client(DEFAULT_BOT_TOKEN, api_url)

    async def client_for_team(team_id: str) -> AsyncWebClient:
        stop.set()  # the signal arrives while the first message is being delivered
        return client

    notifier = Notifier(sessions, client_for_team, locale="en_BE", clock=lambda: NOW, pace_seconds=0.05)
    assert await notifier.deliver_due(stop=stop) == 1
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [(r.id, r.status, r.lease_until) for r in rows] == [
        (queued[0], "sent", None),
        (queued[1], "pending", None),
        (queued[2], "pending", None),
    ]
    assert len(sandbox.workspace.channels["C0FINANCE"].messages) == 1
