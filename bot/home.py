"""The App Home tab: published when a person opens it, after what they do there, and again, debounced, when
what it shows changes (a sync, a payment, a question, an invoice), by whichever process notices first."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage import home_viewers, workspaces
from worker import home as home_model, permissions, status as status_model
from worker.invoice_views import Waiting

from .admin import is_workspace_admin
from .blocks.home import home_view
from .handlers import permalinks
from .services import Services

log = logging.getLogger(__name__)
REFRESH_SECONDS = 10.0  # at most one publication per person this often, however busy the workspace
VIEWERS_FOR = timedelta(days=7)  # who opened the tab within this is kept up to date


@dataclass(frozen=True)
class HomeSettings:
    locale: str
    admin_user_ids: frozenset[str]


async def render(
    sessions: async_sessionmaker[Any],
    client: AsyncWebClient,
    team_id: str,
    user_id: str,
    settings: HomeSettings,
    today: date,
) -> dict[str, Any]:
    """The reader's Home tab as it should read now: what admins may do is offered to admins only."""
    async with sessions() as session:
        data = await home_model.home(session, team_id, today=today)
        connector = await status_model.connected_by(session, team_id)
    admin = await permissions.may_administer(
        user_id,
        admin_user_ids=settings.admin_user_ids,
        connected_by=connector,
        is_workspace_admin=lambda user: is_workspace_admin(client, user),
    )
    waiting = [Waiting(q.match_id, q.line, [c.number for c in q.candidates], where) for q, where in data.questions]
    return home_view(data, settings.locale, admin=admin, links=await permalinks(client, waiting))


async def publish(services: Services, client: AsyncWebClient, team_id: str, user_id: str) -> None:
    """On opening the tab and after a click there: published now, and the reader remembered, so the tab
    follows later changes too."""
    async with services.sessions.begin() as session:
        workspace = await workspaces.get_by_team(session, team_id)
        if workspace is not None:
            await home_viewers.opened(session, workspace.id, user_id, now=services.clock())
    settings = HomeSettings(services.locale, services.admin_user_ids)
    view = await render(services.sessions, client, team_id, user_id, settings, services.today())
    await client.views_publish(user_id=user_id, view=view)


class HomeRefresher:
    """Every few seconds: for each person who opened the tab lately, if the workspace's data changed since
    their tab was published, publish it again. The version is claimed in the database first, so with several
    processes each change is published once."""

    def __init__(
        self,
        sessions: async_sessionmaker[Any],
        client_for_team: Callable[[str], Awaitable[AsyncWebClient | None]],
        settings: HomeSettings,
        *,
        clock: Callable[[], datetime],
        today: Callable[[], date],
    ) -> None:
        self._sessions = sessions
        self._client_for_team = client_for_team
        self._settings = settings
        self._clock = clock
        self._today = today

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.refresh()
            except Exception:  # the database or Slack away for a moment: the next round tries again
                log.exception("home tabs not refreshed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=REFRESH_SECONDS)
            except TimeoutError:
                pass

    async def refresh(self) -> int:
        """Publish the tabs whose data changed; returns how many were published."""
        async with self._sessions() as session:
            readers = await home_viewers.viewers(session, now=self._clock(), within=VIEWERS_FOR)
        versions: dict[int, str] = {}
        published = 0
        for viewer_id, workspace_id, team_id, user_id in readers:
            async with self._sessions.begin() as session:
                if workspace_id not in versions:
                    versions[workspace_id] = await home_viewers.version(session, workspace_id)
                if not await home_viewers.claim(session, viewer_id, versions[workspace_id]):
                    continue
            client = await self._client_for_team(team_id)
            if client is None:
                continue
            try:
                view = await render(self._sessions, client, team_id, user_id, self._settings, self._today())
                await client.views_publish(user_id=user_id, view=view)
                published += 1
            except SlackApiError as exc:
                log.info("home tab of %s not published: %s", user_id, exc.response.get("error"))
        return published
