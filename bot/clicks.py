"""A question's button or an Undo: settle once, refresh the question in the channel, answer privately."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from worker import clicks

from .admin import may_confirm
from .blocks.invoices import match_question, paid_reply
from .blocks.kit import Message, text_message
from .formatting import slack_date
from .invocation import Invocation
from .services import Services

log = logging.getLogger(__name__)


NOT_A_CONFIRMER = (
    "Only the finance channel's members and the people who administer the Ponto connection can settle or "
    "undo a match. Nothing changed."
)


async def click(services: Services, client: AsyncWebClient, body: dict[str, Any], *, undo: bool) -> Message:
    value = body["actions"][0]["value"]
    team, user = body["team"]["id"], body["user"]["id"]
    if not await may_confirm(services, client, Invocation.from_action(body)):
        return text_message(NOT_A_CONFIRMER)
    if undo:
        outcome = await clicks.undo(
            services.sessions, team_id=team, match_id=int(value), user=user, now=services.clock()
        )
    else:
        match_id, _, choice = value.partition(":")
        outcome = await clicks.choose(
            services.sessions, team_id=team, match_id=int(match_id), choice=choice, user=user, now=services.clock()
        )
    if outcome.question and outcome.question_message:
        channel, ts = outcome.question_message
        text, blocks = match_question(outcome.question, services.locale)
        try:
            await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            log.warning("could not update the question %s: %s", ts, exc.response.get("error"))
    if outcome.paid:
        return text_message(paid_reply(outcome.paid, services.locale))
    if outcome.already_at is not None:  # shown in each reader's own time zone
        return text_message(f"{outcome.text} {slack_date(outcome.already_at)}. Nothing changed.")
    return text_message(outcome.text)
