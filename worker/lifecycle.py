"""Disconnect (/ponto deactivate, or the Slack app removed) and renew an account's bank access."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from ponto import PontoClient, PontoError, PontoOAuth
from storage import TokenCipher, connections, workspaces
from storage.models import PontoConnection

from .notices import Disconnected
from .notify import notify

log = logging.getLogger(__name__)


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
        notice = Disconnected(organization_name=connection.organization_name, by=user_id, revoked=revoked)
        await notify(session, workspace, notice, now=now)
        return Deactivation(connection.organization_name, workspace.finance_channel, revoked)


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
