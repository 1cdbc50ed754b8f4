"""Alerts: bank access about to expire, a broken connection, organization and account changes."""

from __future__ import annotations

from datetime import datetime

from worker.notices import (
    AccountAdded,
    AccountRevoked,
    OrganizationBlocked,
    OrganizationUnblocked,
    ReauthorizationNeeded,
    ReconnectNeeded,
    SlackPaused,
    SyncFailing,
)

from ..formatting import channel, escape_mrkdwn, iban, slack_date
from .kit import Message, actions, button, section


def reauthorization_needed(notice: ReauthorizationNeeded, _locale: str) -> Message:
    expires = notice.expires_at
    text = (
        f"Bank access to {escape_mrkdwn(notice.name)} ({iban(notice.iban)}) ends on {expires:%d %b %Y}. "
        "Renew it, or no new transactions will arrive after that date."
    )
    body = (
        f":warning: Bank access to *{escape_mrkdwn(notice.name)}* `{iban(notice.iban)}` ends "
        f"{slack_date(expires)}. Renew it, or no new transactions will arrive after that date."
    )
    renew = button("reauthorize", "Renew bank access", notice.account_id, style="primary")
    return text, [section(body), actions(renew)]


def sync_failing(notice: SyncFailing, _locale: str) -> Message:
    """Failing synchronizations of one account; after a success the same message says it works again."""
    account = f"*{escape_mrkdwn(notice.name)}* `{iban(notice.iban)}`"
    codes = escape_mrkdwn(", ".join(notice.codes[:5]), limit=120)
    if notice.recovered_at is not None:
        text = f"Bank updates for {escape_mrkdwn(notice.name)} work again."
        body = f":white_check_mark: Bank updates for {account} work again since {slack_date(notice.recovered_at)}."
        return text, [section(body)]
    if notice.problem == "authorization":
        text = (
            f"The bank no longer accepts Ponto's access to {escape_mrkdwn(notice.name)}: no new transactions "
            "arrive until an admin renews it."
        )
        body = (
            f":red_circle: The bank refused to let Ponto read {account} since {slack_date(notice.since)}"
            f" ({codes}). No new transactions arrive until an admin renews the bank access."
        )
        renew = button("reauthorize", "Renew bank access", notice.account_id, style="primary")
        return text, [section(body), actions(renew)]
    text = f"Ponto cannot read {escape_mrkdwn(notice.name)} from the bank right now; it keeps trying."
    body = (
        f":warning: Ponto cannot read {account} from the bank since {slack_date(notice.since)}"
        f"{f' ({codes})' if codes else ''}. It keeps trying; this message changes when it works again."
    )
    return text, [section(body)]


def reconnect_needed(notice: ReconnectNeeded, _locale: str) -> Message:
    name = escape_mrkdwn(notice.organization_name or "Ponto")
    why = "The integration was revoked in Ponto" if notice.revoked else "Ponto no longer accepts our access"
    text = f"{why}, so {name} is disconnected and syncing is paused. An admin can reconnect with /ponto activate."
    reconnect = button("reconnect", "Reconnect Ponto", "reconnect", style="primary")
    return text, [section(f":red_circle: {text}"), actions(reconnect)]


def organization_blocked(notice: OrganizationBlocked, _locale: str) -> Message:
    text = (
        f"Ponto blocked {escape_mrkdwn(notice.organization_name or 'the organization')}; no bank data arrives until it "
        "is unblocked. Check the Ponto dashboard (billing or compliance)."
    )
    return text, [section(f":no_entry: {text}")]


def organization_unblocked(notice: OrganizationUnblocked, _locale: str) -> Message:
    text = f"Ponto unblocked {escape_mrkdwn(notice.organization_name or 'the organization')}; syncing again."
    return text, [section(f":white_check_mark: {text}")]


def account_added(notice: AccountAdded, _locale: str) -> Message:
    text = f"Account added: {escape_mrkdwn(notice.name)} ({iban(notice.iban)}, {escape_mrkdwn(notice.currency)})."
    return text, [section(f":heavy_plus_sign: {text}")]


def account_revoked(notice: AccountRevoked, _locale: str) -> Message:
    text = (
        f"Account no longer shared: {escape_mrkdwn(notice.name)} ({iban(notice.iban)}). Its history is kept; "
        "no new transactions will arrive for it."
    )
    return text, [section(f":heavy_minus_sign: {text}")]


def slack_paused(notice: SlackPaused, _locale: str) -> Message:
    text = (
        f"I can no longer post in {channel(notice.channel)} because {escape_mrkdwn(notice.advice)} Until then "
        "finance messages are on hold and kept; type /ponto resume when it is fixed."
    )
    return text, [section(f":pause_button: {text}")]


def since_label(value: datetime | None) -> str:
    return f" since {value:%d %b}" if value else ""
