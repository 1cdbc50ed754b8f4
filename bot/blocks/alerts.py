"""Alerts: bank access about to expire, a broken connection, organization and account changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..formatting import escape_mrkdwn, iban, slack_date

Message = tuple[str, list[dict[str, Any]]]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(action_id: str, label: str, value: str, style: str = "primary") -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": action_id,
                "style": style,
                "value": value,
                "text": {"type": "plain_text", "text": label},
            }
        ],
    }


def reauthorization_needed(payload: dict[str, Any], _locale: str) -> Message:
    expires = datetime.fromisoformat(payload["expires_at"])
    text = (
        f"Bank access to {payload['name']} ({iban(payload['iban'])}) ends on {expires:%d %b %Y}. "
        "Renew it, or no new transactions will arrive after that date."
    )
    body = (
        f":warning: Bank access to *{escape_mrkdwn(payload['name'])}* `{iban(payload['iban'])}` ends "
        f"{slack_date(expires)}. Renew it, or no new transactions will arrive after that date."
    )
    return text, [_section(body), _button("reauthorize", "Renew bank access", payload["account_id"])]


def reconnect_needed(payload: dict[str, Any], _locale: str) -> Message:
    name = payload.get("organization_name") or "Ponto"
    why = "The integration was revoked in Ponto" if payload.get("revoked") else "Ponto no longer accepts our access"
    text = f"{why}, so {name} is disconnected and syncing is paused. An admin can reconnect with /ponto activate."
    return text, [_section(f":red_circle: {escape_mrkdwn(text)}"), _button("reconnect", "Reconnect Ponto", "reconnect")]


def organization_blocked(payload: dict[str, Any], _locale: str) -> Message:
    text = (
        f"Ponto blocked {payload.get('organization_name') or 'the organization'}; no bank data arrives until it "
        "is unblocked. Check the Ponto dashboard (billing or compliance)."
    )
    return text, [_section(f":no_entry: {escape_mrkdwn(text)}")]


def organization_unblocked(payload: dict[str, Any], _locale: str) -> Message:
    text = f"Ponto unblocked {payload.get('organization_name') or 'the organization'}; syncing again."
    return text, [_section(f":white_check_mark: {escape_mrkdwn(text)}")]


def account_added(payload: dict[str, Any], _locale: str) -> Message:
    text = f"Account added: {payload['name']} ({iban(payload['iban'])}, {payload['currency']})."
    return text, [_section(f":heavy_plus_sign: {escape_mrkdwn(text)}")]


def account_revoked(payload: dict[str, Any], _locale: str) -> Message:
    text = (
        f"Account no longer shared: {payload['name']} ({iban(payload['iban'])}). Its history is kept; "
        "no new transactions will arrive for it."
    )
    return text, [_section(f":heavy_minus_sign: {escape_mrkdwn(text)}")]


def slack_paused(payload: dict[str, Any], _locale: str) -> Message:
    text = (
        f"I cannot post in {payload['channel']} ({payload['reason']}), so finance messages are on hold and "
        f"kept. {payload['advice']} Then type /ponto resume."
    )
    return text, [_section(f":pause_button: {escape_mrkdwn(text)}")]


def since_label(value: str | None) -> str:
    return f" since {datetime.fromisoformat(value):%d %b}" if value else ""
