"""The notifier against the Slack stand-in over real HTTP: names resolved, metadata set, errors kept."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

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

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
OVERVIEW = {"organization_name": "Acme", "connected_by": "U0DEMO",
            "accounts": [{"iban": "BE68539007547034", "name": "Current", "currency": "EUR",
                          "current_balance": 100, "available_balance": 100}]}  # fmt: skip


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
        message = await outbox.enqueue(session, workspace_id=workspace.id, channel=channel, kind=kind,
                                       payload=OVERVIEW, now=NOW)  # fmt: skip
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


async def test_permanent_slack_errors_are_kept_as_failed_with_the_reason(stand_in, sessions) -> None:
    sandbox, api_url = stand_in
    await _queue(sessions, "#no-such-channel")
    await _queue(sessions, "G0SECRET")  # private, bot not invited: not_in_channel, joining is refused
    await _queue(sessions, "#finance", kind="from_a_newer_version")
    notifier = _notifier(sessions, web_client(DEFAULT_BOT_TOKEN, api_url))
    await notifier.deliver_due()
    async with sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [(r.status, r.last_error) for r in rows] == [
        ("failed", "channel_not_found"),
        ("failed", "method_not_supported_for_channel_type"),
        ("failed", "unknown message kind 'from_a_newer_version'"),
    ]
    assert sandbox.workspace.channels["C0FINANCE"].messages == []


async def test_a_revoked_token_fails_without_retry_storm(stand_in, sessions) -> None:
    _sandbox, api_url = stand_in
    await _queue(sessions, "#finance")
    await _notifier(sessions, web_client("xoxb-revoked", api_url)).deliver_due()
    async with sessions() as session:
        (row,) = await session.scalars(select(OutboxMessage))
    assert (row.status, row.last_error, row.attempts) == ("failed", "invalid_auth", 1)


async def test_unreachable_slack_is_retried_later(sessions) -> None:
    await _queue(sessions, "C0FINANCE")
    await _notifier(sessions, web_client(DEFAULT_BOT_TOKEN, "http://127.0.0.1:9/api/")).deliver_due()
    async with sessions() as session:
        (row,) = await session.scalars(select(OutboxMessage))
    assert row.status == "pending" and row.attempts == 1 and row.next_attempt_at > NOW
