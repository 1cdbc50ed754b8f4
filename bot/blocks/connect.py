"""The private consent-link message sent in answer to `/ponto activate`."""

from __future__ import annotations

from ..formatting import escape_mrkdwn
from .kit import Block, Message, actions, button, confirm, section


def consent_link(url: str, *, reconnect: bool, channel_note: str = "") -> Message:
    intro = (
        "This workspace is already connected to Ponto. Approving again replaces the connection."
        if reconnect
        else "Connect your company's bank accounts through Ponto."
    )
    text = f"{intro} Open the consent page within 10 minutes: {url} {channel_note}".rstrip()
    blocks: list[Block] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"{intro}\nThe link is for you only and works once, for 10 minutes.",
            },
            "accessory": {
                "type": "button",
                "action_id": "consent_link",
                "style": "primary",
                "text": {"type": "plain_text", "text": "Connect with Ponto"},
                "url": url,
            },
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Ponto asks which accounts to share. Read-only access (ai), payment "
                    "initiation (pi) and the organization name are requested.",
                }
            ],
        },
    ]
    if channel_note:
        blocks.append(section(channel_note))
    return text, blocks


def renewal_link(link: str) -> Message:
    """The private link where an admin renews an account's bank access at Ponto."""
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


def confirm_disconnect(organization: str) -> Message:
    """`/ponto deactivate` asks before it revokes anything."""
    text = (
        f"Disconnect {escape_mrkdwn(organization)}? Ponto access is revoked, the stored tokens are deleted and "
        "bank updates stop. You can connect again later with `/ponto activate`."
    )
    disconnect = button(
        "deactivate_confirm",
        "Disconnect Ponto",
        "deactivate",
        style="danger",
        confirm=confirm("Disconnect Ponto?", f"Revoke the access to {organization} now?", "Disconnect", "Keep"),
    )
    return text, [section(text), actions(disconnect)]
