"""Bearer tokens for /api, one workspace each: the token is shown once, only its hash is kept."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import ApiToken, Workspace

PREFIX = "pst_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create(session: AsyncSession, workspace_id: int, *, label: str | None, now: datetime) -> str:
    """A new token for the workspace; the caller shows it once (it cannot be read back)."""
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(workspace_id=workspace_id, token_hash=_hash(token), label=label, created_at=now))
    await session.flush()
    return token


async def workspace_of(session: AsyncSession, token: str, *, now: datetime) -> Workspace | None:
    """The workspace a presented token belongs to (a high-entropy secret: looked up by its hash)."""
    row = await session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    if row is None:
        return None
    row.last_used_at = now
    return await session.get(Workspace, row.workspace_id)


async def any_exist(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(ApiToken)))
