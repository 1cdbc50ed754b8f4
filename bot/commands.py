"""`/ponto <subcommand>`: parse, check who may do it, call the service, build the reply."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from ponto import PontoError
from storage import workspaces
from worker import connections, invoicing, queries

from .blocks import invoices as invoice_blocks
from .blocks.balances import balance_summary
from .blocks.connect import consent_link
from .blocks.status import help_message, status_message
from .blocks.transactions import transactions_list
from .services import Services

log = logging.getLogger(__name__)
Message = tuple[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Invocation:
    team_id: str
    user_id: str
    channel_id: str
    text: str
    response_url: str | None

    @property
    def args(self) -> str:
        return self.text.partition(" ")[2].strip()

    @classmethod
    def from_action(cls, body: dict[str, Any]) -> Invocation:
        return cls(
            body["team"]["id"],
            body["user"]["id"],
            (body.get("channel") or {}).get("id", ""),
            "",
            body.get("response_url"),
        )

    @classmethod
    def from_command(cls, command: dict[str, Any]) -> Invocation:
        return cls(
            team_id=command["team_id"],
            user_id=command["user_id"],
            channel_id=command["channel_id"],
            text=(command.get("text") or "").strip(),
            response_url=command.get("response_url"),
        )


def _text(text: str) -> Message:
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


async def is_workspace_admin(client: AsyncWebClient, user_id: str) -> bool:
    """Slack admins and owners administer the connection; an API failure counts as 'no'."""
    try:
        response = await client.users_info(user=user_id)
    except SlackApiError as exc:
        log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
        return False
    user = response.get("user") or {}
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


async def _may_administer(services: Services, client: AsyncWebClient, inv: Invocation) -> bool:
    async with services.sessions() as session:
        connector = await connections.connected_by(session, inv.team_id)
    if inv.user_id in services.admin_user_ids or inv.user_id == connector:
        return True
    return await is_workspace_admin(client, inv.user_id)


NOT_ALLOWED = (
    "Only Slack workspace admins and owners, the person who connected Ponto, or people listed in "
    "ADMIN_USER_IDS may {action}. Ask one of them to run `/ponto {command}`."
)


async def activate(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    if not await _may_administer(services, client, inv):
        return _text(NOT_ALLOWED.format(action="connect Ponto", command="activate"))
    async with services.sessions.begin() as session:
        current = await connections.connected_by(session, inv.team_id)
        url = await connections.start_activation(
            session,
            services.cipher,
            services.ponto_app,
            team_id=inv.team_id,
            user_id=inv.user_id,
            channel_id=inv.channel_id,
            response_url=inv.response_url,
            default_channel=services.default_channel,
            now=services.clock(),
        )
    return consent_link(url, reconnect=current is not None)


async def deactivate(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    if not await _may_administer(services, client, inv):
        return _text(NOT_ALLOWED.format(action="disconnect Ponto", command="deactivate"))
    try:
        result = await connections.deactivate(
            services.sessions,
            services.cipher,
            services.oauth,
            team_id=inv.team_id,
            user_id=inv.user_id,
            now=services.clock(),
        )
    except connections.NotConnected:
        return _text("Ponto is not connected, so there is nothing to disconnect.")
    note = (
        ""
        if result.revoked_at_ponto
        else (" Ponto could not be reached to revoke access: remove the integration in the Ponto dashboard too.")
    )
    return _text(f"Disconnected. The stored tokens are deleted and {result.channel} was told.{note}")


async def status(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    async with services.sessions() as session:
        current = await connections.status(session, inv.team_id)
    return status_message(current, services.locale)


async def transactions(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    return await transactions_page(services, inv.team_id, queries.TransactionQuery.parse(inv.args))


async def transactions_page(services: Services, team_id: str, query: queries.TransactionQuery) -> Message:
    async with services.sessions() as session:
        page = await queries.recent_transactions(session, team_id, query, now=services.clock())
    if page.problem:
        return _text(page.problem)
    return transactions_list(page.rows, title=page.title, locale=services.locale, more_value=page.next_value)


async def balance(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    async with services.sessions() as session:
        payload = await queries.balance(session, inv.team_id, now=services.clock())
    if payload is None or not payload["accounts"]:
        return _text("No accounts yet. An admin can connect Ponto with `/ponto activate`.")
    return balance_summary(payload, services.locale)


async def resume(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    async with services.sessions.begin() as session:
        reason = await workspaces.resume_slack(session, inv.team_id)
    if reason is None:
        return _text("Posting was not on hold; nothing to resume.")
    return _text(f"Resumed: the messages held since `{reason}` will be posted now, in order.")


async def invoices(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    async with services.sessions() as session:
        rows = await invoicing.open_invoices(session, inv.team_id)
        payload = [
            {
                "number": r.number,
                "customer": r.counterparty_name,
                "remaining": r.amount - r.settled,
                "currency": r.currency,
                "due_date": r.due_date.isoformat() if r.due_date else None,
            }
            for r in rows
        ]
    return invoice_blocks.open_invoices(payload, services.locale)


async def unmatched(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    async with services.sessions() as session:
        rows = await invoicing.unmatched(session, inv.team_id)
    return invoice_blocks.unmatched(rows, services.locale)


async def click(services: Services, client: AsyncWebClient, body: dict[str, Any], *, undo: bool) -> Message:
    """A question's button or an Undo: settle once, refresh the question in the channel, answer privately."""
    value = body["actions"][0]["value"]
    team, user = body["team"]["id"], body["user"]["id"]
    if undo:
        outcome = await invoicing.undo(
            services.sessions, team_id=team, match_id=int(value), user=user, now=services.clock()
        )
    else:
        match_id, _, choice = value.partition(":")
        outcome = await invoicing.choose(
            services.sessions, team_id=team, match_id=int(match_id), choice=choice, user=user, now=services.clock()
        )
    if outcome.ok and outcome.question and outcome.question_message:
        channel, ts = outcome.question_message
        text, blocks = invoice_blocks.match_question(outcome.question, services.locale)
        try:
            await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            log.warning("could not update the question %s: %s", ts, exc.response.get("error"))
    return _text(outcome.text)


HANDLERS = {
    "invoices": invoices,
    "unmatched": unmatched,
    "activate": activate,
    "deactivate": deactivate,
    "status": status,
    "transactions": transactions,
    "balance": balance,
    "resume": resume,
}


async def run(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    """Route a `/ponto` command to its handler; anything unknown gets the help."""
    name, _, _rest = inv.text.partition(" ")
    handler = HANDLERS.get(name.lower())
    if handler is None:
        return help_message(unknown=name if name and name.lower() != "help" else None)
    return await handler(services, client, inv)


async def reauthorize(services: Services, client: AsyncWebClient, inv: Invocation, account_id: str) -> Message:
    if not await _may_administer(services, client, inv):
        return _text(NOT_ALLOWED.format(action="renew bank access", command="status"))
    assert services.make_ponto_client is not None
    try:
        link = await connections.reauthorization_link(
            services.sessions,
            services.make_ponto_client,
            team_id=inv.team_id,
            account_id=account_id,
            redirect_uri=f"{services.public_url}/ponto/reauthorized",
        )
    except connections.NotConnected:
        return _text("Ponto is not connected any more. An admin can reconnect with `/ponto activate`.")
    except PontoError as exc:
        return _text(f"Ponto did not give a renewal link ({exc}). Try again in a few minutes.")
    text = f"Renew the bank access at Ponto: {link}"
    return text, [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "Renew the bank access at Ponto; the link is for you only."},
            "accessory": {
                "type": "button",
                "action_id": "consent_link",
                "style": "primary",
                "url": link,
                "text": {"type": "plain_text", "text": "Renew at Ponto"},
            },
        }
    ]
