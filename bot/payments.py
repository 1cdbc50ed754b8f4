"""Paying supplier invoices from Slack: who may, the form, its submission, the answer while Ponto works.

Slack gives a listener 3 seconds to open a form (trigger_id) and to answer a submission: both only
read the database before answering; Ponto is called after the form shows "Preparing…", and the form
is then updated with the signing link or what went wrong.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from worker import payment_forms as forms, payment_sending as sending, payments as worker_payments

from .admin import NOT_ALLOWED, may_administer
from .blocks import payments as blocks
from .blocks.kit import Message, text_message
from .invocation import Invocation
from .services import Services

log = logging.getLogger(__name__)
FIELDS = ("creditor", "iban", "bic", "amount", "communication", "date", "account", "reference", "invoices")


async def payables(services: Services, client: AsyncWebClient, inv: Invocation) -> Message:
    async with services.sessions() as session:
        rows = await forms.payables(session, inv.team_id)
    may_pay = bool(rows) and await may_administer(services, client, inv)
    return blocks.payables_list(rows, services.locale, today=services.today(), may_pay=may_pay)


async def open_form(
    services: Services,
    client: AsyncWebClient,
    inv: Invocation,
    numbers: list[str],
    *,
    trigger_id: str,
    bulk: bool = False,
    from_iban: str | None = None,
) -> Message | None:
    """Open the payment form (one invoice, or several as a bulk payment); a refusal is returned as a message."""
    if not await may_administer(services, client, inv):
        return text_message(NOT_ALLOWED.format(action="pay supplier invoices", command="pay"))
    async with services.sessions() as session:
        try:
            if bulk or len(numbers) > 1:
                listed = await forms.payables(session, inv.team_id)
                free = [p.number for p in listed if p.held_by is None and p.currency == "EUR"]
                draft = await forms.draft(
                    session, inv.team_id, numbers or free, today=services.today(), from_iban=from_iban, bulk=True
                )
                view = blocks.bulk_form(draft, listed, services.locale, channel=inv.channel_id, chosen=numbers)
            else:
                draft = await forms.draft(session, inv.team_id, numbers, today=services.today(), from_iban=from_iban)
                view = blocks.single_form(draft, services.locale, channel=inv.channel_id)
        except forms.Refused as exc:
            return text_message(str(exc))
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error"))
        return text_message("Slack did not open the payment form (it waited too long). Run the command again.")
    return None


def form_values(view: dict[str, Any]) -> dict[str, str]:
    """The submitted form's values by field, as text: typed text, the chosen option, the date; several
    chosen options joined by newlines."""
    out: dict[str, str] = {}
    for block_id, actions in ((view.get("state") or {}).get("values") or {}).items():
        if block_id not in FIELDS:
            continue
        for value in actions.values():
            kind = value.get("type")
            if kind == "static_select":
                out[block_id] = str((value.get("selected_option") or {}).get("value") or "")
            elif kind == "multi_static_select":
                out[block_id] = "\n".join(str(o.get("value")) for o in value.get("selected_options") or [])
            elif kind == "datepicker":
                out[block_id] = str(value.get("selected_date") or "")
            else:
                out[block_id] = str(value.get("value") or "")
    return out


@dataclass(frozen=True)
class Answer:
    """What to answer the submission with at once (`ack`), and the work to do after it, if any."""

    ack: dict[str, Any]
    then: Callable[[], Awaitable[None]] | None = None


async def submitted(services: Services, client: AsyncWebClient, body: dict[str, Any]) -> Answer:
    view = body["view"]
    team_id, user_id = body["team"]["id"] if body.get("team") else view["team_id"], body["user"]["id"]
    meta = json.loads(view.get("private_metadata") or "{}")
    channel = str(meta.get("channel") or "")
    inv = Invocation(team_id, user_id, channel, "", None)
    if not await may_administer(services, client, inv):
        refusal = NOT_ALLOWED.format(action="pay supplier invoices", command="pay")
        return Answer({"response_action": "update", "view": blocks.problem_view(refusal)})
    values = form_values(view)
    bulk = view.get("callback_id") == blocks.BULK_FORM
    numbers = values.get("invoices", "").split("\n") if bulk else list(meta.get("numbers") or [])
    submission = worker_payments.Submission(
        team_id,
        user_id,
        key=str(view["id"]),
        numbers=numbers,
        values=values,
        confirmed_amount=meta.get("confirmed"),
        bulk=bulk,
    )
    prepared = await worker_payments.prepare(
        services.sessions, submission, today=services.today(), now=services.clock()
    )
    if prepared.errors:
        return Answer({"response_action": "errors", "errors": prepared.errors})
    if prepared.refused:
        return Answer({"response_action": "update", "view": blocks.problem_view(prepared.refused)})
    if prepared.confirm_amount is not None:
        async with services.sessions() as session:
            try:
                draft = await forms.draft(session, team_id, numbers, today=services.today())
            except forms.Refused as exc:  # paid or taken meanwhile
                return Answer({"response_action": "update", "view": blocks.problem_view(str(exc))})
        draft = forms.Draft(draft.invoices, draft.accounts, {**draft.values, **values}, draft.currency, False)
        form = blocks.single_form(draft, services.locale, channel=channel, confirm_amount=prepared.confirm_amount)
        return Answer({"response_action": "update", "view": form})
    assert prepared.payment_id is not None
    payment_id = prepared.payment_id

    async def send_and_show() -> None:
        sent = await sending.send(
            services.sessions,
            _client_maker(services),
            payment_id,
            redirect_uri=f"{services.public_url}/ponto/paid",
            now=services.clock(),
        )
        await _show(services, client, view["id"], sent, channel)

    return Answer({"response_action": "update", "view": blocks.preparing_view()}, then=send_and_show)


def _client_maker(services: Services) -> Any:
    assert services.make_ponto_client is not None, "payments need the Ponto client factory"
    return services.make_ponto_client


async def _show(services: Services, client: AsyncWebClient, view_id: str, sent: sending.Sent, channel: str) -> None:
    """The form after Ponto answered: the signing link, or what went wrong and what to do."""
    if sent.link and sent.status == "unsigned":
        view = blocks.signing_view(sent.link, sent.amount, sent.currency, services.locale, channel or None)
    elif sent.status in ("signed", "paid"):
        view = blocks.problem_view("This payment was already signed: the channel follows it.")
    else:
        view = blocks.problem_view(sent.problem or f"The payment is {sent.status}.", sent.activation_link)
    try:
        await client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:  # the person closed the form: the channel and `/ponto payables` still say
        log.info("views.update of payment form failed: %s", exc.response.get("error"))
