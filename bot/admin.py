"""Who may administer the connection, asked of Slack when the configuration does not already say."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from worker import permissions, status

from . import finance_channel
from .invocation import Invocation
from .services import Services

log = logging.getLogger(__name__)

NOT_ALLOWED = (
    "Only Slack workspace admins and owners, the person who connected Ponto, or people listed in "
    "ADMIN_USER_IDS may {action}. Ask one of them to run `/ponto {command}`."
)


async def is_workspace_admin(client: AsyncWebClient, user_id: str) -> bool:
    """Slack admins and owners administer the connection; an API failure counts as 'no'."""
    try:
        response = await client.users_info(user=user_id)
    except SlackApiError as exc:
        log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
        return False
    user = response.get("user") or {}
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


async def may_administer(services: Services, client: AsyncWebClient, inv: Invocation) -> bool:
    async with services.sessions() as session:
        connector = await status.connected_by(session, inv.team_id)

    async def ask_slack(user_id: str) -> bool:
        return await is_workspace_admin(client, user_id)

    return await permissions.may_administer(
        inv.user_id, admin_user_ids=services.admin_user_ids, connected_by=connector, is_workspace_admin=ask_slack
    )


MAX_MEMBER_PAGES = 20


async def is_channel_member(client: AsyncWebClient, channel: str | None, user_id: str) -> bool:
    """Whether the user is in the finance channel (conversations.members); a failure counts as "no"."""
    if not channel:
        return False
    try:
        if not finance_channel.CHANNEL_ID.match(channel):
            found = await finance_channel.find_by_name(client, channel)
            if found is None:
                return False
            channel = str(found["id"])
        cursor = None
        for _ in range(MAX_MEMBER_PAGES):
            page = await client.conversations_members(channel=channel, limit=1000, cursor=cursor)
            if user_id in (page.get("members") or []):
                return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return False
    except SlackApiError as exc:
        log.warning("conversations.members failed for %s: %s", channel, exc.response.get("error"))
    return False


async def may_confirm(services: Services, client: AsyncWebClient, inv: Invocation) -> bool:
    async with services.sessions() as session:
        channel = await status.finance_channel(session, inv.team_id)

    async def administers(user_id: str) -> bool:
        return await may_administer(services, client, inv)

    async def in_channel(user_id: str) -> bool:
        return await is_channel_member(client, channel, user_id)

    return await permissions.may_confirm(
        inv.user_id,
        confirmer_ids=services.confirmer_user_ids,
        may_administer=administers,
        in_finance_channel=in_channel,
    )
