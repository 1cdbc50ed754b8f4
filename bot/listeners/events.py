"""Slack events: the app removed from a workspace stops everything for it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from worker import lifecycle

from ..services import Services


def removes_the_bot(event: dict[str, Any]) -> bool:
    """`app_uninstalled` always does; `tokens_revoked` only when it names bot tokens (a user revoking
    their own user token leaves the bot, and everything it does, in place)."""
    if event.get("type") != "tokens_revoked":
        return True
    return bool((event.get("tokens") or {}).get("bot"))


async def app_removed(event: dict[str, Any], body: dict[str, Any], services: Services) -> None:
    """`app_uninstalled` or `tokens_revoked` (events are acked by bolt before this runs)."""
    if not removes_the_bot(event):
        return
    team_id = body.get("team_id") or ""
    await lifecycle.stop_workspace(
        services.sessions,
        services.cipher,
        services.oauth,
        team_id=team_id,
        reason=event.get("type", "app_uninstalled"),
        now=services.clock(),
    )
    if services.installation_store is not None:
        await services.installation_store.async_delete_all(enterprise_id=body.get("enterprise_id"), team_id=team_id)


def register(app: AsyncApp) -> None:
    app.event("app_uninstalled")(app_removed)
    app.event("tokens_revoked")(app_removed)
