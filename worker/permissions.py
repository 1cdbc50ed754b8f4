"""Who may administer the Ponto connection (activate, deactivate, renew access, pay)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable


async def may_administer(
    user_id: str,
    *,
    admin_user_ids: frozenset[str],
    connected_by: str | None,
    is_workspace_admin: Callable[[str], Awaitable[bool]],
) -> bool:
    """Configured people and the person who connected, else Slack admins and owners (asked last: a call)."""
    if user_id in admin_user_ids or (connected_by is not None and user_id == connected_by):
        return True
    return await is_workspace_admin(user_id)


async def may_confirm(
    user_id: str,
    *,
    confirmer_ids: frozenset[str],
    may_administer: Callable[[str], Awaitable[bool]],
    in_finance_channel: Callable[[str], Awaitable[bool]],
) -> bool:
    """Settling or undoing a match: whoever administers, and the confirmers (MATCH_CONFIRMERS when set,
    else the finance channel's members: the people the questions are addressed to)."""
    if confirmer_ids:
        return user_id in confirmer_ids or await may_administer(user_id)
    return await in_finance_channel(user_id) or await may_administer(user_id)
