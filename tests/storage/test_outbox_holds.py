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


async def test_the_claim_takes_the_oldest_first_even_after_a_row_was_rewritten(sessions: async_sessionmaker) -> None:
    """PostgreSQL gives a row whose indexed columns change a new place (and new index entries after its
    equals): without ORDER BY the claim would take the second and third. Only ORDER BY keeps "oldest first"."""
    first, second, third = await queue(sessions, *[("T1", "C1", "pending", NOW)] * 3)
    for status in ("failed", "pending"):  # an indexed column moved away and back: the same row, a new place
        async with sessions.begin() as session:
            rewritten = await session.get(OutboxMessage, first)
            assert rewritten is not None
            rewritten.status = status
    async with sessions.begin() as session:
        claimed = await outbox.claim_due(session, now=NOW, limit=2)
    assert [m.id for m in claimed] == [first, second]
    async with sessions.begin() as session:
        assert [m.id for m in await outbox.claim_due(session, now=NOW)] == [third]


async def test_a_staged_message_is_due_at_once_and_dated(sessions: async_sessionmaker) -> None:
    (message,) = await queue(sessions, ("T1", "C1", "pending", NOW))
    staged = (await rows(sessions))[message]
    assert staged.created_at.replace(tzinfo=UTC) == NOW and (staged.claims, staged.attempts) == (0, 0)


async def test_released_messages_are_given_back_and_the_others_stay_leased(sessions: async_sessionmaker) -> None:
    given_back, kept = await queue(sessions, ("T1", "C1", "pending", NOW), ("T1", "C2", "pending", NOW))
    async with sessions.begin() as session:
        await outbox.claim_due(session, now=NOW)
        await outbox.release(session, [given_back])
        await outbox.release(session, [])  # nothing to give back: nothing changes
    found = await rows(sessions)
    assert (found[given_back].lease_until, found[given_back].claims) == (None, 0)
    assert found[kept].lease_until is not None and found[kept].claims == 1


async def test_a_sent_message_lets_go_of_its_lease_and_keeps_where_it_went(sessions: async_sessionmaker) -> None:
    (message,) = await queue(sessions, ("T1", "C1", "pending", NOW))
    async with sessions.begin() as session:
        await outbox.claim_due(session, now=NOW)
        await outbox.mark_sent(session, message, channel_id="C1", ts="1.000100", now=UNTIL)
    sent = (await rows(sessions))[message]
    assert (sent.status, sent.slack_channel_id, sent.slack_ts, sent.lease_until) == ("sent", "C1", "1.000100", None)
    assert sent.sent_at.replace(tzinfo=UTC) == UNTIL and sent.last_error is None


async def test_a_revision_replaces_a_queued_message_and_queues_an_edit_of_a_sent_one(
    sessions: async_sessionmaker,
) -> None:
    queued, sent, failed = await queue(
        sessions, ("T1", "C1", "pending", NOW), ("T1", "C1", "sent", NOW), ("T1", "C1", "failed", NOW)
    )
    async with sessions.begin() as session:
        for message_id in (queued, sent, failed):
            original = await session.get(OutboxMessage, message_id)
            assert original is not None
            await outbox.revise_message(session, original, {"v": 2}, now=UNTIL)
    found = await rows(sessions)
    assert found[queued].payload == {"v": 2} and found[sent].payload == {} and found[failed].payload == {}
    (edit,) = [m for i, m in found.items() if i not in (queued, sent, failed)]  # one edit: of the sent one
    assert (edit.workspace_id, edit.channel, edit.kind, edit.status) == (found[sent].workspace_id, "C1", "k", "pending")
    assert edit.payload == {"v": 2, "edit_of": sent}
    assert edit.created_at.replace(tzinfo=UTC) == UNTIL and edit.next_attempt_at.replace(tzinfo=UTC) == UNTIL


async def test_a_revision_by_dedupe_key_reaches_its_message_only(sessions: async_sessionmaker) -> None:
    (message,) = await queue(sessions, ("T1", "C1", "sent", NOW))
    async with sessions.begin() as session:
        target = await session.get(OutboxMessage, message)
        assert target is not None
        target.dedupe_key = "tx:1:abc"
    async with sessions.begin() as session:
        await outbox.revise(session, "tx:1:abc", {"v": 3}, now=UNTIL)
        await outbox.revise(session, "tx:1:unknown", {"v": 4}, now=UNTIL)  # nothing queued under it: nothing
    edits = [m for m in (await rows(sessions)).values() if m.id != message]
    assert [(e.payload, e.created_at.replace(tzinfo=UTC)) for e in edits] == [({"v": 3, "edit_of": message}, UNTIL)]


async def test_a_message_revised_while_it_is_being_delivered_gets_an_edit_after_it(
    sessions: async_sessionmaker,
) -> None:
    """The notifier has rendered the old content of a claimed message: replacing it would be lost."""
    claimed, queued = await queue(sessions, ("T1", "C1", "pending", NOW), ("T2", "C2", "pending", NOW))
    async with sessions.begin() as session:
        taken = await outbox.claim_due(session, now=NOW, limit=1)
    assert [m.id for m in taken] == [claimed]
    async with sessions.begin() as session:
        for message_id in (claimed, queued):
            original = await session.get(OutboxMessage, message_id)
            assert original is not None
            await outbox.revise_message(session, original, {"said": "new"}, now=NOW + timedelta(seconds=1))
    found = await rows(sessions)
    assert found[claimed].payload == {} and found[queued].payload == {"said": "new"}
    edits = [m for m in found.values() if m.payload.get("edit_of")]
    assert [(m.payload, m.channel) for m in edits] == [({"said": "new", "edit_of": claimed}, "C1")]
