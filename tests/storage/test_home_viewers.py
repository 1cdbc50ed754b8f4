"""The Home tab's readers: the version of what it shows moves with the data, and each new version is
claimed by one process only (so several processes publish a change once)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker

from storage import home_viewers, outbox, workspaces

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


async def test_a_change_is_claimed_once_and_an_old_reader_is_let_go(sessions: async_sessionmaker) -> None:
    async with sessions.begin() as session:
        workspace = await workspaces.get_or_create(session, "T1", finance_channel="#finance")
        await home_viewers.opened(session, workspace.id, "U1", now=NOW)
        await home_viewers.opened(session, workspace.id, "U2", now=NOW - timedelta(days=8))  # long ago
    async with sessions() as session:
        readers = await home_viewers.viewers(session, now=NOW, within=timedelta(days=7))
        shown = await home_viewers.version(session, workspace.id)
    assert [(team, user) for _, _, team, user in readers] == [("T1", "U1")]
    viewer = readers[0][0]
    async with sessions.begin() as session:
        assert not await home_viewers.claim(session, viewer, shown)  # opening showed this version already
    async with sessions.begin() as session:
        await outbox.enqueue(
            session, workspace_id=workspace.id, channel="#finance", kind="transaction", payload={"n": 1}, now=NOW
        )
    async with sessions() as session:
        changed = await home_viewers.version(session, workspace.id)
    assert changed != shown
    claims = []
    for _process in range(2):
        async with sessions.begin() as session:
            claims.append(await home_viewers.claim(session, viewer, changed))
    assert claims == [True, False]
