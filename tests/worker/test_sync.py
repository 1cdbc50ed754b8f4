"""Syncs against the Ponto stand-in over HTTP: import, notify, digests, alerts once, never twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ponto import OAuthClientConfig, PontoClient, PontoOAuth, TokenManager
from sandbox import ponto as stand_in
from storage import TokenCipher, connections, create_engine, make_sessionmaker, sync_states, workspaces
from storage.migrate import upgrade_async
from storage.models import BankTransaction, OutboxMessage, PontoConnection
from tests.support.ponto import consent_code
from tests.support.threaded import serve_in_thread
from worker.hints import SyncHints
from worker.sync import Syncer, SyncOptions
from worker.token_store import DbTokenStore


@pytest.fixture
def base() -> Iterator[str]:
    with serve_in_thread(stand_in.create_standalone_app()) as url:
        yield f"{url}{stand_in.MOUNT}"


class World:
    """A workspace linked to the stand-in's organization, and a syncer for it."""

    def __init__(self, sessions: async_sessionmaker, http: httpx.AsyncClient, base: str) -> None:
        self.sessions, self.http, self.base = sessions, http, base
        self.cipher = TokenCipher([TokenCipher.generate_key()])
        self.oauth = PontoOAuth(
            http, OAuthClientConfig(f"{base}/api", stand_in.DEFAULT_CLIENT_ID, stand_in.DEFAULT_CLIENT_SECRET)
        )
        self.connection_id = 0

    async def link(self) -> None:
        verifier = "w" * 64
        code = await consent_code(
            self.http, self.base, redirect_uri="http://app/cb", scope="ai name offline_access", verifier=verifier
        )
        tokens = await self.oauth.exchange_code(code, redirect_uri="http://app/cb", verifier=verifier)
        async with self.sessions.begin() as session:
            workspace = await workspaces.get_or_create(session, "T1", finance_channel="#finance")
            connection = await connections.save_connection(
                session,
                self.cipher,
                workspace_id=workspace.id,
                organization_id="org",
                organization_name="Demo",
                tokens=connections.Tokens(tokens.access_token, tokens.refresh_token, tokens.expires_at, tokens.scope),
                connected_by="U1",
                now=datetime.now(UTC),
            )
            self.connection_id = connection.id
            await sync_states.sync_now(session, connection.id, now=datetime.now(UTC))

    def syncer(self, owner: str = "test", **options: object) -> Syncer:
        def make_client(connection: PontoConnection) -> tuple[PontoClient, TokenManager]:
            tokens = TokenManager(
                self.oauth, DbTokenStore(self.sessions, self.cipher, connection.id), key=f"test:{connection.id}"
            )
            return PontoClient(self.http, api_url=f"{self.base}/api", tokens=tokens), tokens

        return Syncer(
            self.sessions,
            make_client,
            owner=owner,
            clock=lambda: datetime.now(UTC),
            options=SyncOptions(**{"sync_wait": 5.0, **options}),
        )

    async def control(self, path: str, body: dict) -> dict:
        response = await self.http.post(f"{self.base}/_control/{path}", json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def accounts(self) -> list[dict]:
        return list((await self.http.get(f"{self.base}/_control/state")).json()["accounts"])

    async def outbox(self) -> list[tuple[str, dict]]:
        async with self.sessions() as session:
            rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            return [(r.kind, r.payload) for r in rows]

    async def stored(self) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(BankTransaction)) or 0)


@pytest.fixture
async def world(base: str, database_url: str) -> AsyncIterator[World]:
    await upgrade_async(database_url)
    engine = create_engine(database_url)
    async with httpx.AsyncClient(timeout=10) as http:
        world = World(make_sessionmaker(engine), http, base)
        await world.link()
        yield world
    await engine.dispose()


async def test_first_sync_imports_the_window_with_one_summary(world: World) -> None:
    report = await world.syncer().sync(world.connection_id)
    assert report.error is None and report.accounts == 3
    assert 0 < report.created == await world.stored() < 28 + 16 + 6  # history older than 30 days left out
    kinds = [kind for kind, _ in await world.outbox()]
    assert kinds == ["import_summary"]
    ((_, summary),) = await world.outbox()
    assert summary["count"] == report.created and summary["accounts"] == 3


async def test_new_transactions_are_announced_once_and_stored_once(world: World) -> None:
    syncer = world.syncer()
    await syncer.sync(world.connection_id)
    account = (await world.accounts())[0]
    added = await world.control("transactions", {"account_id": account, "count": 3, "webhook": False})
    before = await world.stored()
    report = await syncer.sync(world.connection_id)
    assert report.created == 3 and await world.stored() == before + 3
    messages = [payload for kind, payload in await world.outbox() if kind == "transaction"]
    assert sorted(m["id"] for m in messages) == sorted(added["ids"])
    again = await syncer.sync(world.connection_id)
    assert again.created == 0 and len(await world.outbox()) == 4  # nothing new, nothing posted twice


async def test_a_burst_becomes_one_digest_and_small_amounts_stay_quiet(world: World) -> None:
    syncer = world.syncer(digest_threshold=5, min_amount=100_00)
    await syncer.sync(world.connection_id)
    account = (await world.accounts())[1]
    await world.control("transactions", {"account_id": account, "count": 9, "webhook": False, "seed": 7})
    await world.control(
        "transactions",
        {"account_id": account, "webhook": False, "transactions": [{"amount": "12.50", "counterpartName": "Coffee"}]},
    )
    await syncer.sync(world.connection_id)
    (digest,) = [payload for kind, payload in await world.outbox() if kind == "transactions_digest"]
    assert all(abs(t["amount"]) >= 100_00 for t in digest["transactions"])
    assert "Coffee" not in str(digest)


async def test_webhook_hint_reads_the_synchronizations_updated_transactions(world: World) -> None:
    syncer = world.syncer(create_synchronizations=False)
    await syncer.sync(world.connection_id)
    account = (await world.accounts())[2]
    added = await world.control("transactions", {"account_id": account, "count": 2, "webhook": False})
    client = syncer.client_for(await _connection(world))
    sync = await client.create_synchronization(account, "accountTransactions")
    await client.wait_synchronization(sync.id, interval=0.05)
    hints = SyncHints()
    hints.add("pontoConnect.account.transactionsCreated", account, sync.id)
    report = await syncer.sync(world.connection_id, hints=hints)
    assert report.created == 2 and set(added["ids"]) <= {p["id"] for k, p in await world.outbox() if k == "transaction"}


@pytest.mark.parametrize("details_first", [True, False])
async def test_a_webhook_burst_for_one_account_reads_the_corrected_line_in_either_order(
    world: World, details_first: bool
) -> None:
    """transactionsUpdated and detailsUpdated in one round: the corrected line comes from the transaction
    synchronization, whichever webhook came last (the details one has no updated transactions)."""
    syncer = world.syncer(create_synchronizations=False)
    await syncer.sync(world.connection_id)
    account = (await world.accounts())[0]
    (ref,) = (await world.control("transactions", {"account_id": account, "count": 1, "webhook": False}))["ids"]
    await syncer.sync(world.connection_id)  # the line is known now: only updated-transactions brings a change
    await world.control(
        "transactions/update", {"id": ref, "attributes": {"counterpartName": "Fixed BV"}, "webhook": False}
    )
    client = syncer.client_for(await _connection(world))
    transactions = await client.create_synchronization(account, "accountTransactions")
    details = await client.create_synchronization(account, "accountDetails")
    for done in (transactions, details):
        await client.wait_synchronization(done.id, interval=0.05)
    burst = [
        ("pontoConnect.account.transactionsUpdated", transactions.id),
        ("pontoConnect.account.detailsUpdated", details.id),
    ]
    hints = SyncHints()
    for event_type, sync_id in [burst[1], burst[0]] if details_first else burst:
        hints.add(event_type, account, sync_id)
    report = await syncer.sync(world.connection_id, hints=hints)
    assert report.error is None and report.updated == 1
    async with world.sessions() as session:
        line = await session.scalar(select(BankTransaction).where(BankTransaction.ponto_id == ref))
    assert line is not None and line.counterpart_name == "Fixed BV"


async def test_a_failing_bank_authorization_is_said_once_with_the_button_and_edited_when_it_works(
    world: World,
) -> None:
    syncer = world.syncer()
    await syncer.sync(world.connection_id)
    account = (await world.accounts())[1]
    await world.control("synchronization-failures", {"account_id": account})
    for _ in range(2):  # two rounds fail the same way: one alert
        report = await syncer.sync(world.connection_id)
        assert report.error is None  # the other accounts synced; this one is reported, not fatal
    failing = [p for k, p in await world.outbox() if k == "sync_failing"]
    assert len(failing) == 1 and failing[0]["problem"] == "authorization" and failing[0]["account_id"] == account
    assert failing[0]["codes"] == ["authorizationInvalid"]
    assert (await world.http.delete(f"{world.base}/_control/synchronization-failures")).status_code == 200
    await syncer.sync(world.connection_id)
    failing = [p for k, p in await world.outbox() if k == "sync_failing"]
    assert len(failing) == 1 and failing[0]["recovered_at"] is not None  # the queued alert now says it works


async def _connection(world: World) -> PontoConnection:
    async with world.sessions() as session:
        connection = await session.get(PontoConnection, world.connection_id)
        assert connection is not None
        return connection


async def test_an_expiring_authorization_is_announced_once(world: World) -> None:
    syncer = world.syncer()
    account = (await world.accounts())[0]
    await world.control("accounts", {"account_id": account, "authorization_expires_in_days": 5})
    await syncer.sync(world.connection_id)
    await syncer.sync(world.connection_id)
    alerts = [p for k, p in await world.outbox() if k == "reauthorization_needed"]
    assert len(alerts) == 1 and alerts[0]["account_id"] == account


async def test_a_rejected_refresh_token_breaks_the_connection_with_one_alert(world: World) -> None:
    syncer = world.syncer()
    await syncer.sync(world.connection_id)
    await world.control("tokens", {"expire_access_tokens": True, "revoke_refresh_tokens": True})
    async with world.sessions.begin() as session:
        await sync_states.sync_now(session, world.connection_id, now=datetime.now(UTC))
    report = await syncer.sync(world.connection_id)
    assert report.error and "reconnect" in report.error
    assert (await _connection(world)).status == "broken"
    async with world.sessions() as session:
        assert await sync_states.due(session, now=datetime.now(UTC) + timedelta(days=1)) == []  # paused
    assert [k for k, _ in await world.outbox()].count("reconnect_needed") == 1


async def test_revoked_and_added_accounts_are_announced(world: World) -> None:
    syncer = world.syncer()
    await syncer.sync(world.connection_id)
    account = (await world.accounts())[2]
    await world.control("accounts", {"account_id": account, "shared": False})
    await syncer.sync(world.connection_id)
    await world.control("accounts", {"account_id": account, "shared": True})
    await syncer.sync(world.connection_id)
    kinds = [k for k, _ in await world.outbox()]
    assert kinds.count("account_revoked") == 1 and kinds.count("account_added") == 1


async def test_two_syncs_of_one_connection_never_run_at_once(world: World) -> None:
    first, second = world.syncer(owner="a"), world.syncer(owner="b")
    reports = await asyncio.gather(first.sync(world.connection_id), second.sync(world.connection_id))
    assert sorted(r.skipped for r in reports) == [False, True]


async def test_two_processes_never_spend_the_same_refresh_token(world: World, database_url: str) -> None:
    """Two token managers that share no in-process lock (as two processes would) refresh one expired
    token at once: on PostgreSQL the connection row lock lets one refresh and the other reuse its pair."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serves one process: the in-process lock covers it (see test_transport)")
    await world.control("tokens", {"expire_access_tokens": True})
    async with world.sessions.begin() as session:
        connection = await session.get(PontoConnection, world.connection_id)
        assert connection is not None
        connection.access_token_expires_at = datetime(2020, 1, 1, tzinfo=UTC)  # both see it expired
    managers = [
        TokenManager(world.oauth, DbTokenStore(world.sessions, world.cipher, world.connection_id), key=f"process-{n}")
        for n in range(2)
    ]
    tokens = await asyncio.gather(*(m.access_token() for m in managers))
    assert tokens[0] == tokens[1]
    state = (await world.http.get(f"{world.base}/_control/state")).json()
    assert state["revoked_tokens"] == 0  # no refresh token was refused: each was spent once


async def test_an_amount_finer_than_the_currency_is_stored_exactly_and_never_stops_the_sync(world: World) -> None:
    syncer = world.syncer(create_synchronizations=False)
    await syncer.sync(world.connection_id)
    account = (await world.accounts())[0]
    lines = [{"amount": "12.345", "counterpartName": "Fuel Card NV"}, {"amount": "7.10", "counterpartName": "Bakery"}]
    ids = (await world.control("transactions", {"account_id": account, "webhook": False, "transactions": lines}))["ids"]
    report = await syncer.sync(world.connection_id)
    assert report.error is None and report.created == 2  # the odd line and the one after it
    async with world.sessions() as session:
        odd = await session.scalar(select(BankTransaction).where(BankTransaction.ponto_id == ids[0]))
    assert odd is not None and (odd.amount, odd.amount_exact) == (1234, "12.345")  # half-even, and the exact text
    posted = {p["id"]: p for k, p in await world.outbox() if k == "transaction"}
    assert posted[ids[0]]["amount_exact"] == "12.345" and posted[ids[1]]["amount_exact"] is None


async def test_each_refresh_stores_the_rotated_refresh_token(world: World) -> None:
    """Ponto rotates the refresh token on every refresh: the new one must be the one stored, or the next
    process (a restart, another worker) spends a dead token and the connection breaks."""

    async def stored_refresh() -> str | None:
        async with world.sessions() as session:
            connection = await session.get(PontoConnection, world.connection_id)
            assert connection is not None
            tokens = connections.read_tokens(connection, world.cipher)
            return tokens.refresh_token if tokens else None

    first = await stored_refresh()
    for _ in range(2):  # each time a manager with no memory of the last one, as a fresh process is
        await world.control("tokens", {"expire_access_tokens": True})
        async with world.sessions.begin() as session:
            connection = await session.get(PontoConnection, world.connection_id)
            assert connection is not None
            connection.access_token_expires_at = datetime(2020, 1, 1, tzinfo=UTC)
        store = DbTokenStore(world.sessions, world.cipher, world.connection_id)
        await TokenManager(world.oauth, store, key=f"fresh-{_}").access_token()
    assert (await stored_refresh()) not in (None, first)
    state = (await world.http.get(f"{world.base}/_control/state")).json()
    assert state["revoked_tokens"] == 0  # no dead refresh token was ever presented


async def test_a_burst_stored_in_chunks_is_told_and_decided_as_one(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Lines are stored a few at a time (the chunk made tiny here): every one stored once, one digest
    counting them all, queued before what matching said, and each line decided once."""
    from datetime import date

    from invoices import Invoice
    from storage import invoices as invoice_store
    from storage.models import Match
    from worker import mappers, store_lines

    monkeypatch.setattr(store_lines, "CHUNK", 4)
    syncer = world.syncer(digest_threshold=5)
    await syncer.sync(world.connection_id)
    async with world.sessions.begin() as session:
        workspace = await workspaces.get_by_team(session, "T1")
        assert workspace is not None
        numbers = [f"2026-09{n:02d}" for n in range(3)]
        paid = [
            Invoice(n, "sales", date(2026, 1, 5), None, "EUR", 1_234_00 + i, None, "Hoeve BV")
            for i, n in enumerate(numbers)
        ]
        await invoice_store.upsert(session, workspace.id, [mappers.invoice_data(i) for i in paid], source="t")
    account = (await world.accounts())[0]
    given = [
        {"amount": f"{1234 + i / 100:.2f}", "counterpartName": "Hoeve BV", "remittanceInformation": f"factuur {n}"}
        for i, n in enumerate(numbers)
    ]
    await world.control("transactions", {"account_id": account, "transactions": given, "webhook": False})
    await world.control("transactions", {"account_id": account, "count": 8, "webhook": False, "seed": 3})
    before, queued_before = await world.stored(), len(await world.outbox())
    report = await syncer.sync(world.connection_id)
    assert report.created == 11 and await world.stored() == before + 11
    queued = await world.outbox()
    kinds = [kind for kind, _ in queued[queued_before:]]
    assert kinds[0] == "transactions_digest" and queued[queued_before][1]["count"] == 11
    assert sorted(kinds[1:]).count("invoice_paid") == 3 and "transactions_digest" not in kinds[1:]
    async with world.sessions() as session:
        decided = list(await session.scalars(select(Match.transaction_id)))
    assert len(decided) == len(set(decided)) >= 11  # each new line decided once (the others: nothing open then)


async def test_a_burst_is_written_in_a_few_statements_not_one_per_line(world: World) -> None:
    """No per-line round trips: 80 new lines (3 paying an invoice, 12 asking which of two) are inserted,
    decided and announced in a handful of INSERT statements. On SQLite this needs the sentinel columns
    and an unordered RETURNING (an ordered one makes SQLAlchemy insert row by row)."""
    from datetime import date

    from sqlalchemy import event

    from invoices import Invoice
    from storage import invoices as invoice_store
    from storage.models import Allocation, Match
    from worker import mappers

    syncer = world.syncer(digest_threshold=5)
    await syncer.sync(world.connection_id)
    async with world.sessions.begin() as session:
        workspace = await workspaces.get_by_team(session, "T1")
        assert workspace is not None
        clear = [
            Invoice(f"2026-10{n:02d}", "sales", date(2026, 1, 5), None, "EUR", 4_321_00 + n, None, "Hoeve BV")
            for n in range(3)
        ]
        twins = [
            Invoice(f"2026-20{n:02d}", "sales", date(2026, 1, 5), None, "EUR", 777_00, None, "Twin NV")
            for n in range(2)
        ]
        await invoice_store.upsert(session, workspace.id, [mappers.invoice_data(i) for i in clear + twins], source="t")
    account = (await world.accounts())[0]
    given = [
        {
            "amount": f"{4321 + n / 100:.2f}",
            "counterpartName": "Hoeve BV",
            "remittanceInformation": f"factuur 2026-10{n:02d}",
        }
        for n in range(3)
    ] + [{"amount": "777.00", "counterpartName": "Twin NV", "remittanceInformation": "betaling"} for _ in range(12)]
    await world.control("transactions", {"account_id": account, "transactions": given, "webhook": False})
    await world.control("transactions", {"account_id": account, "count": 65, "webhook": False, "seed": 5})
    inserts: list[str] = []

    def count(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT"):
            inserts.append(statement.split("(")[0].split()[-1])

    engine = world.sessions.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        report = await syncer.sync(world.connection_id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert report.created == 80
    async with world.sessions() as session:
        decisions = list(await session.scalars(select(Match.decision)))
        allocations = int(await session.scalar(select(func.count()).select_from(Allocation)) or 0)
    assert decisions.count("auto") == 3 and allocations == 3 and decisions.count("ask") == 12  # all kinds
    per_table = {table: inserts.count(table) for table in set(inserts)}
    assert max(per_table.values()) <= 3, per_table  # row by row: 80 for the lines, 15 for the matches


async def test_a_sync_longer_than_its_lease_keeps_it(world: World, database_url: str) -> None:
    """On PostgreSQL the lease is renewed while the sync runs: another worker cannot take the
    connection over in the middle, however slow Ponto is (here 2 s against a lease of 0.9 s)."""
    import asyncio
    from datetime import timedelta

    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serves one process: nobody else could take the lease")
    syncer = world.syncer(owner="slow", lease=timedelta(seconds=0.9))
    await syncer.sync(world.connection_id)
    await world.control("faults", {"path": "transactions", "delay": 2, "count": 1})
    running = asyncio.create_task(syncer.sync(world.connection_id))
    await asyncio.sleep(1.5)  # past the first lease's end
    async with world.sessions.begin() as session:
        now = datetime.now(UTC)
        taken = await sync_states.acquire(
            session, world.connection_id, owner="other", now=now, lease=timedelta(minutes=1)
        )
    report = await running
    assert not taken and report.error is None and not report.skipped


async def test_a_sync_cancelled_as_its_process_stops_gives_its_lease_back(world: World) -> None:
    """Past the grace period of a SIGTERM the sync is cancelled: nothing of it stays (its transaction rolls
    back), and the lease is given back so another worker syncs the connection now rather than at expiry."""
    await world.control("faults", {"path": "transactions", "delay": 5, "count": 1})  # a call that hangs
    task = asyncio.create_task(world.syncer(owner="stopping").sync(world.connection_id))
    for _ in range(100):
        async with world.sessions() as session:
            state = await sync_states.ensure(session, world.connection_id, now=datetime.now(UTC))
        if state.lease_owner == "stopping":
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # into the hanging call
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with world.sessions() as session:
        state = await sync_states.ensure(session, world.connection_id, now=datetime.now(UTC))
    assert state.lease_owner is None and state.lease_until is None and state.next_sync_at <= datetime.now(UTC)
    assert await world.stored() == 0
    report = await world.syncer(owner="another").sync(world.connection_id)
    assert not report.skipped and report.error is None and report.created > 0


async def test_a_worker_told_to_stop_starts_no_further_sync(world: World) -> None:
    """The due connections it has not started stay due, for the next worker (nothing is held)."""
    from zoneinfo import ZoneInfo

    from worker.loop import Worker

    worker = Worker(
        world.sessions,
        world.syncer(),
        clock=lambda: datetime.now(UTC),
        on_queued=lambda: None,
        summary_at=None,
        zone=ZoneInfo("Europe/Brussels"),
    )
    stop = asyncio.Event()
    stop.set()
    assert await worker.round(stop) == []
    async with world.sessions() as session:
        state = await sync_states.ensure(session, world.connection_id, now=datetime.now(UTC))
    assert state.lease_owner is None and state.next_sync_at <= datetime.now(UTC) and await world.stored() == 0
    assert [r.connection_id for r in await worker.round(asyncio.Event())] == [world.connection_id]
