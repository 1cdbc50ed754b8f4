"""Storing the finance channel a person chose: by id, with the messages still queued moved along."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox, workspaces

# Posting held because of the channel itself: choosing another channel is the fix, so it resumes.
CHANNEL_PAUSES = frozenset(
    {"channel_not_found", "is_archived", "not_in_channel", "method_not_supported_for_channel_type"}
)


async def choose(session: AsyncSession, team_id: str, channel_id: str, *, default_channel: str) -> str:
    """Updates go to `channel_id` from now on, queued ones included; returns the channel used before."""
    workspace = await workspaces.get_or_create(session, team_id, finance_channel=default_channel)
    previous = workspace.finance_channel
    if previous != channel_id:
        await workspaces.set_finance_channel(session, workspace.id, channel_id)
        await outbox.move_pending(session, workspace.id, previous, channel_id)
    if workspace.slack_paused_reason in CHANNEL_PAUSES:
        await workspaces.resume_slack(session, team_id)
    return previous
