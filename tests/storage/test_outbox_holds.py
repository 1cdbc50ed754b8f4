"""The outbox's bookkeeping around delivery: holding a channel, moving it, failing, counting plain texts.

Each rule is tested against a neighbour it must leave alone (another workspace, another channel, a
message already sent, one due later), so a filter dropped from an update shows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage import outbox, workspaces
from storage.models import OutboxMessage

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
UNTIL = NOW + timedelta(minutes=5)


async def queue(sessions: async_sessionmaker, *specs: tuple[str, str, str, datetime]) -> list[int]:
    """(team, channel, status, next attempt) per message; returns their ids in that order."""
    ids = []
    async with sessions.begin() as session:
        for team, channel, status, due in specs:
            workspace = await workspaces.get_or_create(session, team, finance_channel=channel)
            message = outbox.stage(session, workspace_id=workspace.id, channel=channel, kind="k", payload={}, now=NOW)
            await session.flush()
            message.status, message.next_attempt_at = status, due
            ids.append(message.id)
    return ids


async def rows(sessions: async_sessionmaker) -> dict[int, OutboxMessage]:
    async with sessions() as session:
        return {m.id: m for m in await session.scalars(select(OutboxMessage))}


async def test_holding_a_channel_moves_only_its_own_pending_messages_due_before_the_hold(
    sessions: async_sessionmaker,
) -> None:
    failed, waiting, later, exactly, sent, other_channel, other_team = await queue(
        sessions,
        ("T1", "C1", "pending", NOW),
        ("T1", "C1", "pending", NOW + timedelta(minutes=1)),
        ("T1", "C1", "pending", NOW + timedelta(hours=1)),
        ("T1", "C1", "pending", UNTIL),
        ("T1", "C1", "sent", NOW),
        ("T1", "C2", "pending", NOW),
        ("T2", "C1", "pending", NOW),
    )
    async with sessions.begin() as session:
        workspace = await workspaces.get_by_team(session, "T1")
        assert workspace is not None
        await outbox.postpone_channel(session, workspace.id, "C1", until=UNTIL, error="ratelimited", message_id=failed)
    found = await rows(sessions)
    assert found[waiting].next_attempt_at.replace(tzinfo=UTC) == UNTIL  # held behind the one that failed
    assert found[later].next_attempt_at.replace(tzinfo=UTC) == NOW + timedelta(hours=1)  # never brought forward
    for untouched in (sent, other_channel, other_team):
        assert found[untouched].next_attempt_at.replace(tzinfo=UTC) == NOW
    assert all(found[i].last_error is None and found[i].attempts == 0 for i in (waiting, exactly, other_team))
    held = found[failed]
    assert (held.attempts, held.last_error, held.lease_until, held.claims) == (1, "ratelimited", None, 0)
    assert held.next_attempt_at.replace(tzinfo=UTC) == UNTIL


async def test_a_hold_after_a_refusal_gives_the_claim_back_and_after_a_timeout_keeps_it(
    sessions: async_sessionmaker,
) -> None:
    refused, timed_out = await queue(sessions, ("T1", "C1", "pending", NOW), ("T1", "C2", "pending", NOW))
    async with sessions.begin() as session:
        claimed = await outbox.claim_due(session, now=NOW)
        assert sorted(m.id for m in claimed) == [refused, timed_out]
        workspace_id = claimed[0].workspace_id
        await outbox.postpone_channel(
            session, workspace_id, "C1", until=UNTIL, error="invalid_blocks", message_id=refused, settled=True
        )
        await outbox.postpone_channel(session, workspace_id, "C2", until=UNTIL, error="timeout", message_id=timed_out)
    found = await rows(sessions)
    assert (found[refused].claims, found[timed_out].claims) == (0, 1)  # the timeout may have posted: look first
    assert found[refused].lease_until is None and found[timed_out].lease_until is None  # free for the next round


async def test_a_retry_counts_the_attempt_says_why_and_waits_without_a_lease(sessions: async_sessionmaker) -> None:
    message, neighbour = await queue(sessions, ("T1", "C1", "pending", NOW), ("T1", "C1", "pending", NOW))
    async with sessions.begin() as session:
        await outbox.claim_due(session, now=NOW)
        await outbox.mark_retry(session, message, error="internal_error", next_attempt_at=UNTIL)
    found = await rows(sessions)
    retried = found[message]
    assert (retried.attempts, retried.last_error, retried.lease_until) == (1, "internal_error", None)
    assert retried.next_attempt_at.replace(tzinfo=UTC) == UNTIL
    assert found[neighbour].attempts == 0 and found[neighbour].lease_until is not None  # still leased, untouched


async def test_a_renamed_channel_takes_only_its_own_pending_messages(sessions: async_sessionmaker) -> None:
    pending, sent, other_channel, other_team = await queue(
        sessions,
        ("T1", "#finance", "pending", NOW),
        ("T1", "#finance", "sent", NOW),
        ("T1", "#other", "pending", NOW),
        ("T2", "#finance", "pending", NOW),
    )
    async with sessions.begin() as session:
        workspace = await workspaces.get_by_team(session, "T1")
        assert workspace is not None
        await outbox.move_pending(session, workspace.id, "#finance", "C0FINANCE")
    found = await rows(sessions)
    assert [found[i].channel for i in (pending, sent, other_channel, other_team)] == [
        "C0FINANCE",
        "#finance",
        "#other",
        "#finance",
    ]


async def test_a_failed_message_counts_its_attempt_and_lets_go_of_its_lease(sessions: async_sessionmaker) -> None:
    (message,) = await queue(sessions, ("T1", "C1", "pending", NOW))
    async with sessions.begin() as session:
        await outbox.claim_due(session, now=NOW)
        await outbox.mark_failed(session, message, error="channel_not_found")
    failed = (await rows(sessions))[message]
    assert (failed.status, failed.attempts, failed.last_error, failed.lease_until) == (
        "failed",
        1,
        "channel_not_found",
        None,
    )


async def test_plain_text_deliveries_are_counted_per_workspace_among_sent_messages(
    sessions: async_sessionmaker,
) -> None:
    ids = await queue(
        sessions,
        ("T1", "C1", "sent", NOW),
        ("T1", "C1", "sent", NOW),
        ("T1", "C1", "pending", NOW),
        ("T2", "C1", "sent", NOW),
    )
    async with sessions.begin() as session:
        workspace = await workspaces.get_by_team(session, "T1")
        assert workspace is not None
        assert await outbox.sent_as_plain_text(session, workspace.id) == 0
        for message_id in ids:
            message = await session.get(OutboxMessage, message_id)
            assert message is not None
            message.last_error = f"{outbox.PLAIN_TEXT_NOTE}: invalid_blocks"
        retried = await session.get(OutboxMessage, ids[1])
        assert retried is not None
        retried.last_error = "retried once: timeout"
        await session.flush()
        assert await outbox.sent_as_plain_text(session, workspace.id) == 1
