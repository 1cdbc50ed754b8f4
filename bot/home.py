"""The App Home tab, published when a person opens it and again after what they do there."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from worker import home as home_model
from worker.invoice_views import Waiting

from .admin import may_administer
from .blocks.home import home_view
from .handlers import permalinks
from .invocation import Invocation
from .services import Services


async def publish(services: Services, client: AsyncWebClient, team_id: str, user_id: str) -> None:
    """`views.publish` of the reader's Home: what admins may do is offered to admins only."""
    async with services.sessions() as session:
        data = await home_model.home(session, team_id, today=services.clock().date())
    admin = await may_administer(services, client, Invocation(team_id, user_id, "", "", None))
    waiting = [Waiting(q.match_id, q.line, [c.number for c in q.candidates], where) for q, where in data.questions]
    links = await permalinks(client, waiting)
    await client.views_publish(user_id=user_id, view=home_view(data, services.locale, admin=admin, links=links))
