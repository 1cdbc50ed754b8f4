"""The life of a Ponto connection: activate (consent link), complete (OAuth callback), deactivate.

No Slack and no Starlette here: callers pass plain values and render the results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ponto import Account, PontoClient, PontoError, PontoOAuth, authorize_url, make_code_verifier
from storage import TokenCipher, accounts as account_store, connections, oauth_states, outbox, sync_states, workspaces
from storage.models import BankAccount, PontoConnection, Workspace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PontoApp:
    """Where the Ponto side lives, as plain values taken from the settings."""

    auth_url: str
    api_url: str
    client_id: str
    redirect_uri: str
    scope: str = "ai pi name offline_access"


def may_administer(
    user_id: str,
    *,
    is_workspace_admin: bool,
    admin_user_ids: frozenset[str],
    connected_by: str | None,
) -> bool:
    """Who may activate, deactivate or pay: Slack admins and owners, configured people, the connector."""
    return is_workspace_admin or user_id in admin_user_ids or (connected_by is not None and user_id == connected_by)


async def start_activation(
    session: AsyncSession,
    cipher: TokenCipher,
    app: PontoApp,
    *,
    team_id: str,
    user_id: str,
    channel_id: str,
    response_url: str | None,
    default_channel: str,
    now: datetime,
) -> str:
    """Create a single-use state (PKCE verifier kept server side) and return the consent URL."""
    workspace = await workspaces.get_or_create(session, team_id, finance_channel=default_channel)
    verifier = make_code_verifier()
    state = await oauth_states.create(
        session,
        workspace_id=workspace.id,
        user_id=user_id,
        channel_id=channel_id,
        response_url=response_url,
        code_verifier_enc=cipher.encrypt(verifier),
        now=now,
    )
    return authorize_url(
        app.auth_url,
        client_id=app.client_id,
        redirect_uri=app.redirect_uri,
        state=state,
        verifier=verifier,
        scope=app.scope,
    )


class Problem(Enum):
    DENIED = "denied"
    MISSING = "missing"
    UNKNOWN_STATE = "unknown_state"
    USED_STATE = "used_state"
    EXPIRED_STATE = "expired_state"
    PONTO_FAILED = "ponto_failed"


class ActivationError(Exception):
    """The callback could not complete; `problem` says why, for the page shown to the person."""

    def __init__(self, problem: Problem, detail: str = "") -> None:
        self.problem = problem
        self.detail = detail
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)


@dataclass(frozen=True)
class AccountLine:
    """What the overview shows of one account; balances in minor units."""

    iban: str
    name: str
    currency: str
    current_balance: int | None
    available_balance: int | None

    @classmethod
    def from_account(cls, account: Account) -> AccountLine:
        return cls(
            account.reference, account.name, account.currency, account.current_balance, account.available_balance
        )

    def as_payload(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Activation:
    team_id: str
    channel: str
    user_id: str
    organization_name: str | None
    origin_channel_id: str
    accounts: list[AccountLine] = field(default_factory=list)


_STATE_PROBLEMS = {
    oauth_states.StateProblem.UNKNOWN: Problem.UNKNOWN_STATE,
    oauth_states.StateProblem.USED: Problem.USED_STATE,
    oauth_states.StateProblem.EXPIRED: Problem.EXPIRED_STATE,
}


async def complete_activation(
    sessions: async_sessionmaker,
    cipher: TokenCipher,
    app: PontoApp,
    oauth: PontoOAuth,
    make_client: Callable[[str], PontoClient],
    *,
    code: str | None,
    state: str | None,
    error: str | None,
    now: datetime,
) -> Activation:
    """Consume the state once, exchange the code, read the organization, queue the overview.

    Bad input raises ActivationError before anything is written.
    """
    if error:
        raise ActivationError(Problem.DENIED, error)
    if not state or not code:
        raise ActivationError(Problem.MISSING, "the link has no " + ("state" if not state else "code"))
    async with sessions.begin() as session:
        checked = await oauth_states.check(session, state, now=now)
        if checked.problem is not None or checked.state is None:
            raise ActivationError(_STATE_PROBLEMS[checked.problem or oauth_states.StateProblem.UNKNOWN])
        row = checked.state
        if not await oauth_states.consume(session, row.id, now=now):
            raise ActivationError(Problem.USED_STATE)
        workspace_id, user_id, channel_id = row.workspace_id, row.user_id, row.channel_id
        verifier = cipher.decrypt(row.code_verifier_enc)
    try:
        tokens = await oauth.exchange_code(code, redirect_uri=app.redirect_uri, verifier=verifier)
        client = make_client(tokens.access_token)
        info = await client.userinfo()
        ponto_accounts = await client.list_accounts()
    except PontoError as exc:
        log.warning("Ponto refused the activation: %s", exc)
        raise ActivationError(Problem.PONTO_FAILED, str(exc)) from exc
    lines = [AccountLine.from_account(account) for account in ponto_accounts]
    async with sessions.begin() as session:
        workspace = await session.get(Workspace, workspace_id)
        assert workspace is not None  # the state row references it (ON DELETE CASCADE)
        connection = await connections.save_connection(
            session,
            cipher,
            workspace_id=workspace_id,
            organization_id=info.organization_id,
            organization_name=info.name,
            tokens=connections.Tokens(tokens.access_token, tokens.refresh_token, tokens.expires_at, tokens.scope),
            connected_by=user_id,
            now=now,
        )
        await account_store.replace_accounts(
            session,
            workspace_id=workspace_id,
            connection_id=connection.id,
            accounts=[account_data(account) for account in ponto_accounts],
        )
        await sync_states.sync_now(session, connection.id, now=now)  # the first sync imports the history
        await outbox.enqueue(
            session,
            workspace_id=workspace_id,
            channel=workspace.finance_channel,
            kind="accounts_overview",
            payload={
                "organization_name": info.name,
                "connected_by": user_id,
                "accounts": [line.as_payload() for line in lines],
            },
            now=now,
        )
        return Activation(workspace.team_id, workspace.finance_channel, user_id, info.name, channel_id, lines)


def account_data(account: Account) -> account_store.AccountData:
    return account_store.AccountData(
        ponto_id=account.id,
        reference=account.reference,
        reference_type=account.reference_type,
        name=account.name,
        holder_name=account.holder_name,
        currency=account.currency,
        current_balance=account.current_balance,
        available_balance=account.available_balance,
        authorization_expires_at=account.authorization_expires_at,
        synchronized_at=account.synchronized_at,
        raw=jsonable(account.raw),
    )


def jsonable(value: Any) -> Any:
    """Decimals become strings so the raw body can be stored as JSON without losing digits."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


class NotConnected(Exception):
    """The workspace has no active Ponto connection."""


@dataclass(frozen=True)
class Deactivation:
    organization_name: str | None
    channel: str
    revoked_at_ponto: bool


async def deactivate(
    sessions: async_sessionmaker,
    cipher: TokenCipher,
    oauth: PontoOAuth,
    *,
    team_id: str,
    user_id: str,
    now: datetime,
) -> Deactivation:
    """Revoke the refresh token at Ponto, delete the stored tokens and tell the channel.

    The tokens are deleted even when Ponto cannot be reached: the person asked to disconnect,
    and the result says whether the revocation went through.
    """
    async with sessions.begin() as session:
        workspace = await workspaces.get_by_team(session, team_id)
        connection = await connections.get_for_workspace(session, workspace.id) if workspace else None
        if workspace is None or connection is None or connection.status == "disconnected":
            raise NotConnected(team_id)
        tokens = connections.read_tokens(connection, cipher)
    revoked = False
    if tokens is not None:
        try:
            await oauth.revoke(tokens.refresh_token or tokens.access_token)
            revoked = True
        except PontoError as exc:
            log.warning("Ponto revoke failed for team %s: %s", team_id, exc)
    async with sessions.begin() as session:
        connection = await connections.get_for_workspace(session, workspace.id)
        assert connection is not None
        connections.forget_tokens(connection, status="disconnected")
        await outbox.enqueue(
            session,
            workspace_id=workspace.id,
            channel=workspace.finance_channel,
            kind="disconnected",
            payload={"organization_name": connection.organization_name, "by": user_id, "revoked": revoked},
            now=now,
        )
        return Deactivation(connection.organization_name, workspace.finance_channel, revoked)


@dataclass(frozen=True)
class Status:
    """What `/ponto status` shows."""

    connection: PontoConnection | None
    accounts: list[BankAccount]
    outbox: dict[str, int]
    finance_channel: str | None
    paused_reason: str | None = None
    sync_error: str | None = None

    @property
    def last_sync(self) -> datetime | None:
        times = [a.synchronized_at for a in self.accounts if a.synchronized_at]
        if self.connection is not None and self.connection.last_sync_at:
            times.append(self.connection.last_sync_at)
        return max(times, default=None)


async def status(session: AsyncSession, team_id: str) -> Status:
    workspace = await workspaces.get_by_team(session, team_id)
    if workspace is None:
        return Status(None, [], {}, None)
    connection = await connections.get_for_workspace(session, workspace.id)
    sync = await sync_states.get(session, connection.id) if connection else None
    return Status(
        connection=connection,
        accounts=await account_store.list_active(session, workspace.id),
        outbox=await outbox.counts(session, workspace.id),
        finance_channel=workspace.finance_channel,
        paused_reason=workspace.slack_paused_reason,
        sync_error=sync.last_error if sync else None,
    )


async def connected_by(session: AsyncSession, team_id: str) -> str | None:
    """The user who linked the active connection, if any."""
    workspace = await workspaces.get_by_team(session, team_id)
    connection = await connections.get_for_workspace(session, workspace.id) if workspace else None
    return connection.connected_by if connection is not None and connection.status == "active" else None


async def reauthorization_link(
    sessions: async_sessionmaker,
    make_client: Callable[[PontoConnection], PontoClient],
    *,
    team_id: str,
    account_id: str,
    redirect_uri: str,
) -> str:
    """A fresh Ponto link where the person renews the bank authorization of one account."""
    async with sessions() as session:
        workspace = await workspaces.get_by_team(session, team_id)
        connection = await connections.get_for_workspace(session, workspace.id) if workspace else None
        if connection is None or connection.status != "active":
            raise NotConnected(team_id)
    return await make_client(connection).create_reauthorization_request(account_id, redirect_uri)


async def stop_workspace(
    sessions: async_sessionmaker, cipher: TokenCipher, oauth: PontoOAuth, *, team_id: str, reason: str, now: datetime
) -> bool:
    """The Slack app was removed: stop posting and syncing, revoke and delete the Ponto tokens."""
    async with sessions.begin() as session:
        workspace = await workspaces.get_by_team(session, team_id)
        if workspace is None:
            return False
        await workspaces.pause_slack(session, workspace.id, reason=reason, now=now)
        connection = await connections.get_for_workspace(session, workspace.id)
        tokens = connections.read_tokens(connection, cipher) if connection else None
        if connection is not None:
            connections.forget_tokens(connection, status="disconnected")
    if tokens is not None:
        try:
            await oauth.revoke(tokens.refresh_token or tokens.access_token)
        except PontoError as exc:
            log.warning("Ponto revoke after %s failed for team %s: %s", reason, team_id, exc)
    return True
