"""Once the consent link has been used, the private message that carried it says what it led to instead
(Slack's response_url, replace_original): a one-time link no longer sits there looking usable."""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from worker.activation import Activation

from .formatting import channel, escape_mrkdwn

log = logging.getLogger(__name__)


async def close_consent_link(activation: Activation) -> None:
    if not activation.link_reply:
        return
    organization = escape_mrkdwn(activation.organization_name or "your Ponto organization")
    text = (
        f":white_check_mark: Connected {organization}: {len(activation.accounts)} account(s). "
        f"Updates go to {channel(activation.channel)}."
    )
    if activation.channel_note:  # still to do (an invite, say): it stays in view
        text += f" {activation.channel_note}"
    try:
        answer = await AsyncWebhookClient(activation.link_reply, timeout=5).send(
            text=text, response_type="ephemeral", replace_original=True
        )
    except (aiohttp.ClientError, TimeoutError) as exc:  # expired or unreachable: the link message just stays
        log.info("the consent link message was not replaced: %r", exc)
        return
    if answer.status_code != 200:
        log.info("the consent link message was not replaced: HTTP %s", answer.status_code)
