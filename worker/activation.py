"""Connect a Ponto organization: the consent link (activate) and the OAuth callback (complete).

No Slack and no Starlette here: callers pass plain values and render the results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ponto import Account, PontoClient, PontoError, PontoOAuth, TokenSet, UserInfo, authorize_url, make_code_verifier
from storage import TokenCipher, accounts as account_store, connections, oauth_states, sync_states, workspaces
from storage.models import Workspace

from .mappers import account_data, account_view
from .notices import AccountsOverview, AccountView
from .notify import notify
from .payment_flags import learn_payment_flags

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PontoApp:
    """Where the Ponto side lives, as plain values taken from the settings."""

    auth_url: str
    api_url: str
    client_id: str
    redirect_uri: str
    scope: str = "ai pi name offline_access"


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
    channel_note: str | None = None,
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
        channel_note=channel_note,
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
class Activation:
    team_id: str
    channel: str
    user_id: str
    organization_name: str | None
    origin_channel_id: str
    accounts: list[AccountView] = field(default_factory=list)
    link_reply: str | None = None  # the response_url of the private message that carried the link
    channel_note: str | None = None  # what the person was told to do about the channel, still to do
    connection_id: int = 0


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
    customer_ip: str | None = None,
) -> Activation:
    """Consume the state once, exchange the code, read the organization, queue the overview.

    `customer_ip` is the consenting person's address: Ponto asks for it with every synchronization.

    Bad input raises ActivationError before anything is written.
    """
    if error:
        raise ActivationError(Problem.DENIED, error)
    if not state or not code:
        raise ActivationError(Problem.MISSING, "the link has no " + ("state" if not state else "code"))
    async with sessions.begin() as session:
        consent = await _consume_state(session, cipher, state, now=now)
    try:
        tokens = await oauth.exchange_code(code, redirect_uri=app.redirect_uri, verifier=consent.verifier)
        client = make_client(tokens.access_token)
        info = await client.userinfo()
        ponto_accounts = await client.list_accounts()
    except PontoError as exc:
        log.warning("Ponto refused the activation: %s", exc)
        raise ActivationError(Problem.PONTO_FAILED, str(exc)) from exc
    async with sessions.begin() as session:
        activation = await _save(
            session, cipher, consent, info, tokens, ponto_accounts, now=now, customer_ip=customer_ip
        )
    await learn_payment_flags(sessions, client, activation.connection_id)  # which accounts can pay
    return activation


async def _save(
    session: AsyncSession,
    cipher: TokenCipher,
    consent: _Consent,
    info: UserInfo,
    tokens: TokenSet,
    ponto_accounts: list[Account],
    *,
    now: datetime,
    customer_ip: str | None,
) -> Activation:
    """Store the connection and its accounts, ask for the first sync, queue the accounts overview."""
    workspace = await session.get(Workspace, consent.workspace_id)
    assert workspace is not None  # the state row references it (ON DELETE CASCADE)
    connection = await connections.save_connection(
        session,
        cipher,
        workspace_id=workspace.id,
        organization_id=info.organization_id,
        organization_name=info.name,
        tokens=connections.Tokens(tokens.access_token, tokens.refresh_token, tokens.expires_at, tokens.scope),
        connected_by=consent.user_id,
        now=now,
    )
    connection.customer_ip = customer_ip
    await account_store.replace_accounts(
        session,
        workspace_id=workspace.id,
        connection_id=connection.id,
        accounts=[account_data(account) for account in ponto_accounts],
    )
    await sync_states.sync_now(session, connection.id, now=now)  # the first sync imports the history
    lines = [account_view(account) for account in ponto_accounts]
    overview = AccountsOverview(organization_name=info.name, connected_by=consent.user_id, accounts=lines)
    await notify(session, workspace, overview, now=now)
    return Activation(
        workspace.team_id,
        workspace.finance_channel,
        consent.user_id,
        info.name,
        consent.channel_id,
        lines,
        consent.response_url,
        consent.channel_note,
        connection.id,
    )


@dataclass(frozen=True)
class _Consent:
    workspace_id: int
    user_id: str
    channel_id: str
    verifier: str
    response_url: str | None = None
    channel_note: str | None = None


async def _consume_state(session: AsyncSession, cipher: TokenCipher, state: str, *, now: datetime) -> _Consent:
    """The state is good for one callback; any problem raises before anything is written."""
    checked = await oauth_states.check(session, state, now=now)
    if checked.problem is not None or checked.state is None:
        raise ActivationError(_STATE_PROBLEMS[checked.problem or oauth_states.StateProblem.UNKNOWN])
    row = checked.state
    if not await oauth_states.consume(session, row.id, now=now):
        raise ActivationError(Problem.USED_STATE)
    verifier = cipher.decrypt(row.code_verifier_enc)
    return _Consent(row.workspace_id, row.user_id, row.channel_id, verifier, row.response_url, row.channel_note)
