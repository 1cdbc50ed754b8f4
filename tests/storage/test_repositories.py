"""States are single-use; the outbox leases each message to one deliverer; tokens are ciphertext."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage import TokenCipher, TokenDecryptionError, connections, oauth_states, outbox, workspaces
from storage.models import PontoConnection

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


async def _workspace(sessions: async_sessionmaker, team: str = "T1") -> int:
    async with sessions.begin() as session:
        return (await workspaces.get_or_create(session, team, finance_channel="#finance")).id


async def _state(sessions: async_sessionmaker, workspace_id: int) -> str:
    async with sessions.begin() as session:
        return await oauth_states.create(
            session,
            workspace_id=workspace_id,
            user_id="U1",
            channel_id="C1",
            response_url=None,
            code_verifier_enc="enc",
            now=NOW,
        )


async def test_a_state_is_consumed_once_even_by_racing_callers(sessions: async_sessionmaker) -> None:
    state = await _state(sessions, await _workspace(sessions))
    async with sessions() as session:
        checked = await oauth_states.check(session, state, now=NOW)
    assert checked.problem is None and checked.state is not None

    async def consume() -> bool:
        async with sessions.begin() as session:
            return await oauth_states.consume(session, checked.state.id, now=NOW)

    results = await asyncio.gather(*(consume() for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    async with sessions() as session:
        assert (await oauth_states.check(session, state, now=NOW)).problem is oauth_states.StateProblem.USED


async def test_state_expiry_and_unknown_states(sessions: async_sessionmaker) -> None:
    state = await _state(sessions, await _workspace(sessions))
    async with sessions() as session:
        later = NOW + oauth_states.STATE_TTL + timedelta(seconds=1)
        assert (await oauth_states.check(session, state, now=later)).problem is oauth_states.StateProblem.EXPIRED
        assert (await oauth_states.check(session, "x" + state, now=NOW)).problem is oauth_states.StateProblem.UNKNOWN


async def test_only_the_hash_of_a_state_is_stored(sessions: async_sessionmaker) -> None:
    state = await _state(sessions, await _workspace(sessions))
    async with sessions() as session:
        stored = await session.scalar(select(oauth_states.OAuthState.state_hash))
    assert stored == oauth_states.hash_state(state) and state not in stored


async def test_outbox_leases_each_message_to_one_deliverer(sessions: async_sessionmaker) -> None:
    workspace_id = await _workspace(sessions)
    async with sessions.begin() as session:
        for n in range(6):
            await outbox.enqueue(
                session, workspace_id=workspace_id, channel="#finance", kind="k", payload={"n": n}, now=NOW
            )

    async def claim() -> list[int]:
        async with sessions.begin() as session:
            return [m.id for m in await outbox.claim_due(session, now=NOW, limit=4)]

    first, second = await asyncio.gather(claim(), claim())
    assert first + second and not set(first) & set(second)  # a racer may get fewer rows, never the same ones
    rest = await claim()
    claimed = sorted(first + second + rest)
    assert claimed == list(range(claimed[0], claimed[0] + 6))
    async with sessions.begin() as session:
        assert await outbox.claim_due(session, now=NOW) == []  # all leased
        assert [m.id for m in await outbox.claim_due(session, now=NOW + outbox.LEASE + timedelta(seconds=1))]


async def test_outbox_dedupe_key_queues_once(sessions: async_sessionmaker) -> None:
    workspace_id = await _workspace(sessions)
    async with sessions.begin() as session:
        first = await outbox.enqueue(
            session, workspace_id=workspace_id, channel="#f", kind="k", payload={}, now=NOW, dedupe_key="alert:1"
        )
        again = await outbox.enqueue(
            session, workspace_id=workspace_id, channel="#f", kind="k", payload={}, now=NOW, dedupe_key="alert:1"
        )
    assert first is not None and again is None
    async with sessions() as session:
        assert await outbox.counts(session, workspace_id) == {"pending": 1}


async def test_tokens_are_stored_encrypted(sessions: async_sessionmaker) -> None:
    cipher = TokenCipher([TokenCipher.generate_key()])
    workspace_id = await _workspace(sessions)
    tokens = connections.Tokens("access-plain", "refresh-plain", NOW + timedelta(minutes=30), "ai")
    async with sessions.begin() as session:
        await connections.save_connection(
            session,
            cipher,
            workspace_id=workspace_id,
            organization_id="org",
            organization_name="Org",
            tokens=tokens,
            connected_by="U1",
            now=NOW,
        )
    async with sessions() as session:
        row = await session.scalar(select(PontoConnection))
    assert row is not None
    assert "plain" not in (row.access_token_enc or "") and "plain" not in (row.refresh_token_enc or "")
    assert connections.read_tokens(row, cipher) == tokens


def test_cipher_key_rotation_reads_old_tokens_and_writes_with_the_new_key() -> None:
    old, new = TokenCipher.generate_key(), TokenCipher.generate_key()
    stored = TokenCipher([old]).encrypt("secret")
    rotated_cipher = TokenCipher([new, old])
    assert rotated_cipher.decrypt(stored) == "secret"
    assert TokenCipher([new]).decrypt(rotated_cipher.rotate(stored)) == "secret"
    with pytest.raises(TokenDecryptionError, match="TOKEN_ENCRYPTION_KEY"):
        TokenCipher([new]).decrypt(stored)


def test_cipher_refuses_a_malformed_key() -> None:
    with pytest.raises(ValueError, match="Fernet keys"):
        TokenCipher.from_setting("not-a-key")


async def _queue(sessions: async_sessionmaker, count: int, *, due: datetime = NOW) -> list[int]:
    workspace_id = await _workspace(sessions)
    async with sessions.begin() as session:
        queued = [
            await outbox.enqueue(
                session, workspace_id=workspace_id, channel="#finance", kind="k", payload={"n": n}, now=due
            )
            for n in range(count)
        ]
        return [m.id for m in queued if m is not None]


async def test_the_claim_takes_the_oldest_due_first_up_to_the_limit_in_order(sessions: async_sessionmaker) -> None:
    ids = await _queue(sessions, 5)
    async with sessions.begin() as session:
        first = await outbox.claim_due(session, now=NOW, limit=2, owner="w1")
    assert [m.id for m in first] == ids[:2]  # oldest first, no more than asked, returned in order
    assert {m.lease_owner for m in first} == {"w1"} and {m.claims for m in first} == {1}
    assert {m.lease_until for m in first} == {NOW + outbox.LEASE}
    async with sessions.begin() as session:
        assert await outbox.claim_due(session, now=NOW, limit=10, owner="w2") == []  # w1 is delivering there
        rest = await outbox.claim_due(session, now=NOW, limit=10, owner="w1")
    assert [m.id for m in rest] == ids[2:]


async def test_two_processes_never_split_one_channel(database_url: str) -> None:
    """Claims racing from two processes (two engines): each channel's due messages go to one of them,
    never some to each, so a channel's messages are posted in order; the other channel is free."""
    import asyncio

    from storage import create_engine, make_sessionmaker
    from storage.migrate import upgrade_async

    await upgrade_async(database_url)
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        makers = [make_sessionmaker(engine) for engine in engines]
        async with makers[0].begin() as session:
            workspace = await workspaces.get_or_create(session, "T1", finance_channel="C1")
            for n in range(12):
                outbox.stage(
                    session, workspace_id=workspace.id, channel=f"C{n % 2}", kind="k", payload={"n": n}, now=NOW
                )

        async def claim(maker: async_sessionmaker, owner: str, limit: int) -> list[tuple[str, int]]:
            async with maker.begin() as session:
                return [(m.channel, m.id) for m in await outbox.claim_due(session, now=NOW, limit=limit, owner=owner)]

        for _ in range(3):  # limits that differ: the one asking more would reach past the other's rows
            first, second = await asyncio.gather(claim(makers[0], "p1", 2), claim(makers[1], "p2", 6))
            assert not {c for c, _ in first} & {c for c, _ in second}, (first, second)
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_message_is_due_at_its_time_and_a_lease_ends_at_its_time(sessions: async_sessionmaker) -> None:
    """The boundaries are inclusive: due at `next_attempt_at`, claimable again at `lease_until`."""
    later = NOW + timedelta(minutes=5)
    (message_id,) = await _queue(sessions, 1, due=later)
    async with sessions.begin() as session:
        assert await outbox.claim_due(session, now=later - timedelta(microseconds=1)) == []
        (claimed,) = await outbox.claim_due(session, now=later, lease=timedelta(seconds=30))
    assert claimed.id == message_id
    async with sessions.begin() as session:
        assert await outbox.claim_due(session, now=later + timedelta(seconds=29)) == []
        (again,) = await outbox.claim_due(session, now=later + timedelta(seconds=30), owner="w2")
    assert (again.id, again.lease_owner, again.claims) == (message_id, "w2", 2)  # a dead deliverer's row taken over


async def test_on_postgresql_a_claim_waits_for_another_process_claim_to_finish(database_url: str) -> None:
    """The claims of two processes are taken one after the other: while one holds the claim lock (its
    transaction open), another's claim waits, then sees the first one's leases."""
    import asyncio

    from sqlalchemy import text

    from storage import create_engine, make_sessionmaker
    from storage.migrate import upgrade_async

    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serves one process")
    await upgrade_async(database_url)
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        holder, claimer = (make_sessionmaker(engine) for engine in engines)
        async with holder.begin() as session:
            workspace = await workspaces.get_or_create(session, "T1", finance_channel="C1")
            outbox.stage(session, workspace_id=workspace.id, channel="C1", kind="k", payload={}, now=NOW)
        async with holder.begin() as first:
            await first.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": outbox.CLAIM_LOCK})

            async def claim() -> list[object]:
                async with claimer.begin() as session:
                    return list(await outbox.claim_due(session, now=NOW, owner="p2"))

            waiting = asyncio.create_task(claim())
            done, _ = await asyncio.wait({waiting}, timeout=0.5)
            assert not done  # held up by the first process's claim
        assert len(await asyncio.wait_for(waiting, timeout=5)) == 1
    finally:
        for engine in engines:
            await engine.dispose()
