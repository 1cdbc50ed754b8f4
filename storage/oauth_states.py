"""Single-use OAuth states, bound to a team, a user and a channel."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .db import affected
from .models import OAuthState

__all__ = ["OAuthState", "StateCheck", "StateProblem", "check", "consume", "create", "hash_state"]

STATE_TTL = timedelta(minutes=10)


def hash_state(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


async def create(
    session: AsyncSession,
    *,
    workspace_id: int,
    user_id: str,
    channel_id: str,
    response_url: str | None,
    code_verifier_enc: str,
    now: datetime,
    ttl: timedelta = STATE_TTL,
    channel_note: str | None = None,
) -> str:
    """Store a new state and return its value (only its hash is kept)."""
    state = secrets.token_urlsafe(32)
    session.add(
        OAuthState(
            state_hash=hash_state(state),
            workspace_id=workspace_id,
            user_id=user_id,
            channel_id=channel_id,
            response_url=response_url,
            channel_note=channel_note,
            code_verifier_enc=code_verifier_enc,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await session.flush()
    return state


class StateProblem(Enum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True)
class StateCheck:
    state: OAuthState | None
    problem: StateProblem | None


async def check(session: AsyncSession, state: str, *, now: datetime) -> StateCheck:
    """Look a state up without consuming it."""
    row = await session.scalar(select(OAuthState).where(OAuthState.state_hash == hash_state(state)))
    if row is None:
        return StateCheck(None, StateProblem.UNKNOWN)
    if row.consumed_at is not None:
        return StateCheck(row, StateProblem.USED)
    if row.expires_at <= now:
        return StateCheck(row, StateProblem.EXPIRED)
    return StateCheck(row, None)


async def consume(session: AsyncSession, state_id: int, *, now: datetime) -> bool:
    """Mark the state used; True for exactly one caller even when several race."""
    result = await session.execute(
        update(OAuthState)
        .where(OAuthState.id == state_id, OAuthState.consumed_at.is_(None), OAuthState.expires_at > now)
        .values(consumed_at=now)
    )
    return affected(result) == 1
