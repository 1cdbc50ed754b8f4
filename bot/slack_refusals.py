"""What Slack's error codes mean for delivery: stop for the workspace, or drop one bad message."""

from __future__ import annotations

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
ADVICE = {
    "channel_not_found": "Check FINANCE_CHANNEL, or invite the app to the private channel.",
    "not_in_channel": "Invite the app to the channel: /invite @Ponto Finance.",
    "method_not_supported_for_channel_type": "Invite the app to the private channel: /invite @Ponto Finance.",
    "is_archived": "Unarchive the channel or set FINANCE_CHANNEL to another one.",
}
