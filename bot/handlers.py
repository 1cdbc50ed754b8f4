"""`/ponto <subcommand>` and the buttons that ask for the same: check who may, call the service, reply."""

from __future__ import annotations

import asyncio
import difflib
import logging
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from i18n import LANGUAGES, _, language_of
from ponto import PontoError
from storage import connections, workspaces
from worker import (
    activation,
    finance_channel as worker_channel,
    invoice_views,
    lifecycle,
    queries,
    status as status_model,
)

from . import finance_channel, payments
from .admin import NOT_ALLOWED, may_administer
from .blocks import invoice_lists
from .blocks.balances import balance_summary
from .blocks.connect import confirm_disconnect, consent_link, renewal_link
from .blocks.kit import Message, text_message
from .blocks.status import COMMANDS, SYNC_STARTED, help_message, status_message, sync_result
from .blocks.transactions import transactions_list
from .formatting import channel as channel_ref
from .invocation import Invocation
from .services import Services

log = logging.getLogger(__name__)


async def activate(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    """Run in a channel, that channel gets the updates (checked, joined when public) before the link is sent."""
    if not await may_administer(services, client, inv):
        return text_message(NOT_ALLOWED.format(action="connect Ponto", command="activate"))
    chosen = None
    if finance_channel.CHANNEL_ID.match(inv.channel_id):
        chosen = await finance_channel.check(client, inv.channel_id)
    async with services.sessions.begin() as session:
        if chosen is not None and chosen.channel_id:
            await worker_channel.choose(
                session, inv.team_id, chosen.channel_id, default_channel=services.default_channel
            )
        current = await status_model.connected_by(session, inv.team_id)
        target = await status_model.finance_channel(session, inv.team_id)
        url = await activation.start_activation(
            session,
            services.cipher,
            services.ponto_app,
            team_id=inv.team_id,
            user_id=inv.user_id,
            channel_id=inv.channel_id,
            response_url=inv.response_url,
            default_channel=services.default_channel,
            now=services.clock(),
            channel_note=chosen.problem if chosen is not None and chosen.problem else None,
        )
    note = f"Updates will go to {channel_ref(target or services.default_channel)}."
    if chosen is not None and chosen.problem:
        note += f" {chosen.problem}"
    return consent_link(url, reconnect=current is not None, channel_note=note)


async def channel(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    """`/ponto channel [#name]`: the updates go to the named channel, or to the one this is typed in."""
    if not await may_administer(services, client, inv):
        return text_message(NOT_ALLOWED.format(action="choose the finance channel", command="channel"))
    if not inv.args and not finance_channel.CHANNEL_ID.match(inv.channel_id):
        return text_message(
            "Run `/ponto channel` in the channel that should get the updates, or name it: `/ponto channel #finance`."
        )
    chosen = await finance_channel.check(client, inv.args or inv.channel_id)
    if chosen.channel_id is None:
        return text_message(chosen.problem or "That channel was not found.")
    async with services.sessions.begin() as session:
        await worker_channel.choose(session, inv.team_id, chosen.channel_id, default_channel=services.default_channel)
    done = f"Updates go to {channel_ref(chosen.channel_id)} from now on, including those still waiting."
    return text_message(f"{done} {chosen.problem}" if chosen.problem else done)


async def deactivate(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    """Asks first: the button behind a confirm dialog does it (`deactivate_confirmed`)."""
    if not await may_administer(services, client, inv):
        return text_message(NOT_ALLOWED.format(action="disconnect Ponto", command="deactivate"))
    async with services.sessions() as session:
        current = await status_model.status(session, inv.team_id)
    if current.connection is None or current.connection.status == "disconnected":
        return text_message("Ponto is not connected, so there is nothing to disconnect.")
    return confirm_disconnect(current.connection.organization)


async def deactivate_confirmed(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    if not await may_administer(services, client, inv):
        return text_message(NOT_ALLOWED.format(action="disconnect Ponto", command="deactivate"))
    try:
        result = await lifecycle.deactivate(
            services.sessions,
            services.cipher,
            services.oauth,
            team_id=inv.team_id,
            user_id=inv.user_id,
            now=services.clock(),
        )
    except lifecycle.NotConnected:
        return text_message("Ponto is not connected, so there is nothing to disconnect.")
    note = (
        ""
        if result.revoked_at_ponto
        else " Ponto could not be reached to revoke access: remove the integration in the Ponto dashboard too."
    )
    return text_message(f"Disconnected. The stored tokens are deleted and {result.channel} was told.{note}")


async def status(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    async with services.sessions() as session:
        current = await status_model.status(session, inv.team_id)
    return status_message(current, services.locale)


async def transactions(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    return await transactions_page(services, inv.team_id, queries.TransactionQuery.parse(inv.args))


async def transactions_page(services: Services, team_id: str, query: queries.TransactionQuery) -> Message:
    async with services.sessions() as session:
        page = await queries.recent_transactions(session, team_id, query, now=services.clock())
    if page.problem:
        return text_message(page.problem)
    return transactions_list(page.rows, title=page.title, locale=services.locale, more_value=page.next_value)


async def balance(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    async with services.sessions() as session:
        summary = await queries.balance(session, inv.team_id, now=services.clock())
    if summary is None or not summary.accounts:
        return text_message("No accounts yet. An admin can connect Ponto with `/ponto activate`.")
    return balance_summary(summary, services.locale)


async def resume(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    async with services.sessions.begin() as session:
        reason = await workspaces.resume_slack(session, inv.team_id)
    if reason is None:
        return text_message("Posting was not on hold; nothing to resume.")
    return text_message(f"Resumed: the messages held since `{reason}` will be posted now, in order.")


async def invoices(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    async with services.sessions() as session:
        rows = await invoice_views.open_invoices(session, inv.team_id)
    return invoice_lists.open_invoices(rows, services.locale, today=services.today())


async def unmatched(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    async with services.sessions() as session:
        rows = await invoice_views.unmatched(session, inv.team_id)
    return invoice_lists.unmatched(rows, services.locale, await permalinks(client, rows[:30]))


async def permalinks(client: AsyncWebClient, rows: list[invoice_views.Waiting]) -> dict[int, str]:
    """Links to the questions Slack has (chat.getPermalink); one that fails is simply not linked."""

    async def one(row: invoice_views.Waiting) -> tuple[int, str | None]:
        if row.posted_in is None:
            return row.match_id, None
        channel, ts = row.posted_in
        try:
            answer = await client.chat_getPermalink(channel=channel, message_ts=ts)
        except SlackApiError as exc:
            log.info("no permalink for question %s: %s", row.match_id, exc.response.get("error"))
            return row.match_id, None
        return row.match_id, str(answer.get("permalink") or "") or None

    found = await asyncio.gather(*(one(row) for row in rows))
    return {match_id: link for match_id, link in found if link}


LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands", "fr": "français"}  # as each says it


async def language(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    """`/ponto language [nl|fr|en]`: what the finance channel is told in (admins choose)."""
    wanted = inv.args.strip().lower()[:8]
    async with services.sessions() as session:
        workspace = await workspaces.get_by_team(session, inv.team_id)
        current = (workspace.language if workspace else None) or language_of(services.locale)
    if not wanted:
        choices = ", ".join(f"`{code}` ({name})" for code, name in LANGUAGE_NAMES.items())
        return text_message(
            _(LANGUAGES[current], "The channel is told in {language}. Choose another: {choices}.").format(
                language=LANGUAGE_NAMES[current], choices=choices
            )
        )
    if wanted not in LANGUAGES:
        return text_message(f"`{wanted}` is not a language the app speaks: choose `nl`, `fr` or `en`.")
    if not await may_administer(services, client, inv):
        return text_message(NOT_ALLOWED.format(action="choose the channel's language", command="language"))
    async with services.sessions.begin() as session:
        chosen = await workspaces.get_or_create(session, inv.team_id, finance_channel=services.default_channel)
        chosen.language = wanted
    return text_message(
        _(LANGUAGES[wanted], "From now on the channel is told in {language}.").format(language=LANGUAGE_NAMES[wanted])
    )


async def pay(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    """`/ponto pay INV-1 [INV-2 ...] [from IBAN]`: the payment form, or why not."""
    words, _, source = inv.args.partition(" from ")
    numbers = [n.strip(",;") for n in words.split() if n.strip(",;")]
    if words.strip().lower().startswith("from "):
        numbers, source = [], words.strip()[5:]
    refused = await payments.open_form(
        services, client, inv, numbers, trigger_id=inv.trigger_id or "", from_iban=source.strip() or None
    )
    return refused or ("", [])


HANDLERS = {
    "invoices": invoices,
    "payables": payments.payables,
    "language": language,
    "pay": pay,
    "unmatched": unmatched,
    "activate": activate,
    "channel": channel,
    "deactivate": deactivate,
    "status": status,
    "transactions": transactions,
    "balance": balance,
    "resume": resume,
}


Note = Callable[[str], Awaitable[None]]


async def sync(services: Services, inv: Invocation, note: Note) -> Message:
    """Sync the workspace's connection now; a progress note first, replaced by what the sync did."""
    if services.sync_connection is None:
        return text_message("Syncing on demand is not available in this process.")
    async with services.sessions() as session:
        workspace = await workspaces.get_by_team(session, inv.team_id)
        connection = await connections.get_for_workspace(session, workspace.id) if workspace else None
    if connection is None or connection.status != "active":
        return text_message("Ponto is not connected (or needs reconnecting): `/ponto status` says what to do.")
    await note(SYNC_STARTED)
    return sync_result(await services.sync_connection(connection.id))


async def quiet(_text: str) -> None:
    """No progress notes (a caller with no way to show them)."""


KNOWN = frozenset({*HANDLERS, "sync", "help"})  # every subcommand `run` answers


async def run(services: Services, client: AsyncWebClient, inv: Invocation, note: Note = quiet) -> Message:
    """Route a `/ponto` command to its handler; anything unknown gets the help. `note` shows progress."""
    name, _, _rest = inv.text.partition(" ")
    if name.lower() == "sync":
        return await sync(services, inv, note)
    handler = HANDLERS.get(name.lower())
    if handler is None:
        if not name or name.lower() == "help":
            return help_message()
        close = difflib.get_close_matches(name.lower(), COMMANDS, n=1, cutoff=0.6)
        return help_message(unknown=name, suggestion=close[0] if close else None)
    return await handler(services, client, inv)


async def reauthorize(services: Services, client: AsyncWebClient, inv: Invocation, account_id: str) -> Message:
    if not await may_administer(services, client, inv):
        return text_message(NOT_ALLOWED.format(action="renew bank access", command="status"))
    assert services.make_ponto_client is not None
    try:
        link = await lifecycle.reauthorization_link(
            services.sessions,
            services.make_ponto_client,
            team_id=inv.team_id,
            account_id=account_id,
            redirect_uri=f"{services.public_url}/ponto/reauthorized",
        )
    except lifecycle.NotConnected:
        return text_message("Ponto is not connected any more. An admin can reconnect with `/ponto activate`.")
    except PontoError as exc:
        return text_message(f"Ponto did not give a renewal link ({exc}). Try again in a few minutes.")
    return renewal_link(link)
