"""What Slack's error codes mean for delivery: stop for the workspace, or drop one bad message."""

from __future__ import annotations

from storage.outbox import PLAIN_TEXT_NOTE

__all__ = ["ADVICE", "BAD_MESSAGE", "EXPLAIN", "PAUSE", "PLAIN_TEXT_FALLBACK", "PLAIN_TEXT_NOTE", "explain"]

# Slack refuses the workspace or channel itself: stop posting there and keep the outbox (/ponto resume).
PAUSE = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "not_in_channel",
        "method_not_supported_for_channel_type",
        "restricted_action",
        "ekm_access_denied",
        "team_access_not_granted",
    }
)
# The message itself is wrong (a bug): keep it as failed, go on with the others.
BAD_MESSAGE = frozenset(
    {
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
        "msg_blocks_too_long",
        "invalid_metadata_format",
    }
)
# The layout is refused but the words are fine: sent again as plain text (the outbox row notes it).
PLAIN_TEXT_FALLBACK = frozenset({"invalid_blocks", "msg_blocks_too_long", "invalid_blocks_format"})
# What to tell a person, in plain words, for each refusal: what happened and what to do.
ADVICE = {
    "channel_not_found": "the channel was not found: it was deleted, or it is private and the app is not in it. "
    "Invite the app with /invite @Ponto Finance, or ask whoever runs the app to choose another channel.",
    "not_in_channel": "the app is not a member of this private channel. Invite it with /invite @Ponto Finance.",
    "method_not_supported_for_channel_type": "the app is not a member of this private channel. "
    "Invite it with /invite @Ponto Finance.",
    "is_archived": "the channel was archived. Unarchive it, or ask whoever runs the app to choose another channel.",
}
EXPLAIN = {
    **ADVICE,
    "invalid_auth": "Slack no longer accepts the app's token. Reinstall the app in this workspace.",
    "token_revoked": "the app's token was revoked. Reinstall the app in this workspace.",
    "account_inactive": "the app's token was revoked. Reinstall the app in this workspace.",
    "missing_scope": "the app lacks a permission it needs. Reinstall it from its manifest.",
    "no_installation": "the app is not installed in this workspace. Install it again.",
}


def explain(error: str) -> str:
    """A Slack refusal in plain words, for people (the code itself goes to the log)."""
    return EXPLAIN.get(error, "Slack refused to post the messages. Check the app's installation and the channel.")
