"""Modals in the Slack stand-in: a person submits an open form; the app's answer is applied as Slack
applies it (errors shown beside their fields, the view replaced, or the modal closed).

Slack's rules kept here: the app must answer a submission within 3 seconds; `errors` may only name
input blocks of the view; an `update` must be a valid modal; a required field left empty never
reaches the app; a select can only submit one of its options.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from html import escape
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from . import slack_render
from .html import mount_url
from .slack_limits import modal_problem
from .slack_state import Workspace

ANSWER_SECONDS = 3.0


def _input_blocks(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(b.get("block_id")): b for b in view.get("blocks") or [] if b.get("type") == "input"}


def _initial(element: dict[str, Any]) -> Any:
    kind = element.get("type")
    if kind == "static_select":
        return (element.get("initial_option") or {}).get("value")
    if kind == "multi_static_select":
        return [o.get("value") for o in element.get("initial_options") or []]
    if kind == "datepicker":
        return element.get("initial_date")
    return element.get("initial_value")


def _state(view: dict[str, Any], given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The view's state as Slack sends it: what the person typed or chose (`given`, by block id), else
    the initial values. Returns the state and what Slack itself would refuse, by block id."""
    values: dict[str, Any] = {}
    refused: dict[str, str] = {}
    for block_id, block in _input_blocks(view).items():
        element = block.get("element") or {}
        action_id, kind = str(element.get("action_id")), element.get("type")
        value = given.get(block_id, _initial(element))
        options = {str(o.get("value")): o for o in element.get("options") or []}
        empty = value in (None, "", [])
        if empty and not block.get("optional"):
            refused[block_id] = "Please fill out this field."  # Slack's client checks this itself
            continue
        if kind == "static_select":
            if not empty and str(value) not in options:
                refused[block_id] = "not one of the options"
                continue
            state = {"type": kind, "selected_option": options.get(str(value))}
        elif kind == "multi_static_select":
            chosen = [str(v) for v in (value or [])]
            if any(v not in options for v in chosen):
                refused[block_id] = "not one of the options"
                continue
            state = {"type": kind, "selected_options": [options[v] for v in chosen]}
        elif kind == "datepicker":
            state = {"type": kind, "selected_date": value or None}
        else:
            limit = element.get("max_length")
            if value and limit and len(str(value)) > int(limit):
                refused[block_id] = f"at most {limit} characters"
                continue
            state = {"type": kind, "value": value or None}
        values[block_id] = {action_id: state}
    return {"values": values}, refused


def _payload(ws: Workspace, user: str, view: dict[str, Any], state: dict[str, Any], trigger: str) -> str:
    payload = {
        "type": "view_submission",
        "team": {"id": ws.team_id, "domain": ws.domain},
        "user": {"id": user, "username": ws.users[user].name, "team_id": ws.team_id},
        "api_app_id": ws.app_id,
        "token": "sandbox-verification-token",
        "trigger_id": trigger,
        "view": {**view, "state": state, "hash": secrets.token_hex(8)},
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": {"id": ws.enterprise_id} if ws.enterprise_id else None,
    }
    body = json.dumps(payload).replace("%", "%25").replace("&", "%26").replace("+", "%2B")
    return "payload=" + body


def apply_answer(opened: dict[str, Any], status: int, body: bytes, seconds: float) -> str:
    """What Slack does with the app's answer to a submission; returns what happened."""
    if status != 200 or seconds > ANSWER_SECONDS:
        opened["errors"] = {"": "We had some trouble connecting. Try again?"}  # Slack's words, shown in the form
        return "trouble"
    answer: dict[str, Any] = {}
    if body.strip():
        try:
            answer = json.loads(body)
        except ValueError:
            answer = {}
    action = answer.get("response_action")
    if action is None or action == "clear":
        opened["closed"] = True
        return "closed"
    if action == "errors":
        errors = answer.get("errors") or {}
        inputs = _input_blocks(opened["view"])
        if not isinstance(errors, dict) or not errors or any(k not in inputs for k in errors):
            opened["errors"] = {"": "We had some trouble connecting. Try again?"}
            return "trouble"
        opened["errors"] = {str(k): str(v) for k, v in errors.items()}
        return "errors"
    if action == "update" and modal_problem(answer.get("view")) is None:
        view = {**answer["view"], "id": opened["view"]["id"]}
        opened["view"], opened["errors"] = view, {}
        opened.setdefault("history", []).append(view)
        return "updated"
    opened["errors"] = {"": "We had some trouble connecting. Try again?"}
    return "trouble"


async def _submitted(request: Request) -> tuple[dict[str, Any], bool]:
    """The submission as JSON (tests) or as the page's form (fields `v:<block id>`); True for the page."""
    if "application/json" in request.headers.get("content-type", ""):
        return await request.json(), False
    form = await request.form()
    values: dict[str, Any] = {}
    for key in {k for k in form if k.startswith("v:")}:
        items = [str(v) for v in form.getlist(key)]
        values[key[2:]] = items if key.startswith("v:multi:") else items[0]
    values = {k.removeprefix("multi:"): v for k, v in values.items()}
    return {k: str(form.get(k, "")) for k in ("view_id", "user", "team", "back")} | {"values": values}, True


async def submit(request: Request) -> Response:
    """A person submits an open modal: JSON {"view_id", "values": {block id: text, option value, list or
    date}}, with `team`/`user` as elsewhere. Answers what happened and the modal as it is now; from the
    page, back to the page (after a moment for the app's update of the form)."""
    sandbox = request.app.state.sandbox
    body, from_page = await _submitted(request)
    ws = sandbox.team(body)
    user = str(body.get("user") or "U0DEMO")
    opened = ws.modals.get(str(body.get("view_id", ""))) if ws is not None else None
    if ws is None or opened is None or opened.get("closed") or opened["user"] != user:
        return JSONResponse({"error": "no such open modal for this person"}, status_code=404)
    if "submit" not in opened["view"]:
        return JSONResponse({"error": "this view has no submit button"}, status_code=400)
    state, refused = _state(opened["view"], dict(body.get("values") or {}))
    if refused:
        opened["errors"] = refused
        return JSONResponse({"outcome": "refused by Slack", "modal": opened})
    trigger = sandbox.api.issue_trigger(ws.team_id, user)
    started = time.monotonic()
    reply = await sandbox.deliver(
        _payload(ws, user, opened["view"], state, trigger), "application/x-www-form-urlencoded"
    )
    outcome = apply_answer(opened, reply.status_code, reply.content, time.monotonic() - started)
    if from_page:
        shown = len(opened.get("history") or [])
        for _ in range(30):  # "Preparing…" is replaced by the app when Ponto answers: show that, briefly
            if outcome != "updated" or len(opened.get("history") or []) > shown:
                break
            await asyncio.sleep(0.1)
        return RedirectResponse(f"{mount_url(request)}/?{body.get('back') or ''}", status_code=303)
    return JSONResponse({"outcome": outcome, "modal": opened})


async def close(request: Request) -> Response:
    """The page's Cancel / Close: the modal goes (Slack tells the app only when it asked; this app does not)."""
    sandbox = request.app.state.sandbox
    form = await request.form()
    ws = sandbox.team(form)
    opened = ws.modals.get(str(form.get("view_id", ""))) if ws is not None else None
    if opened is not None and opened["user"] == str(form.get("user") or "U0DEMO"):
        opened["closed"] = True
    return RedirectResponse(f"{mount_url(request)}/?{form.get('back') or ''}", status_code=303)


def open_modal(ws: Workspace, user: str) -> dict[str, Any] | None:
    """The person's newest open modal (Slack shows one at a time)."""
    mine = [m for m in ws.modals.values() if m["user"] == user and not m.get("closed")]
    return mine[-1] if mine else None


def _field_html(block: dict[str, Any], error: str | None) -> str:
    element = block.get("element") or {}
    name = f"v:{block['block_id']}"
    kind, initial = element.get("type"), _initial(element)
    if kind == "static_select":
        options = "".join(
            f"<option value='{escape(str(o['value']), quote=True)}'{' selected' if o['value'] == initial else ''}>"
            f"{escape(str(o['text']['text']))}</option>"
            for o in element.get("options") or []
        )
        control = f"<select name='{escape(name, quote=True)}'>{options}</select>"
    elif kind == "multi_static_select":
        chosen = set(initial or [])
        options = "".join(
            f"<option value='{escape(str(o['value']), quote=True)}'{' selected' if o['value'] in chosen else ''}>"
            f"{escape(str(o['text']['text']))}</option>"
            for o in element.get("options") or []
        )
        multi = escape(f"v:multi:{block['block_id']}", quote=True)
        control = f"<select multiple size='6' name='{multi}'>{options}</select>"
    elif kind == "datepicker":
        control = (
            f"<input type='date' name='{escape(name, quote=True)}' value='{escape(str(initial or ''), quote=True)}'>"
        )
    else:
        value = escape(str(initial or ""), quote=True)
        control = f"<input type='text' size='40' name='{escape(name, quote=True)}' value='{value}'>"
    label = escape(str((block.get("label") or {}).get("text", "")))
    optional = " <span class='muted'>(optional)</span>" if block.get("optional") else ""
    hint = (block.get("hint") or {}).get("text")
    extra = f"<div class='context'>{escape(str(hint))}</div>" if hint else ""
    problem = f"<div class='field-error'>{escape(error)}</div>" if error else ""
    return f"<div class='field'><label>{label}{optional}<br>{control}</label>{extra}{problem}</div>"


def modal_html(ws: Workspace, user: str, base: str, back: dict[str, str], names: dict[str, str]) -> str:
    """The open modal, drawn above the page as Slack draws it: its blocks, its fields, Submit and Cancel."""
    opened = open_modal(ws, user)
    if opened is None:
        return ""
    view, errors = opened["view"], opened.get("errors") or {}
    parts = []
    for block in view.get("blocks") or []:
        if block.get("type") == "input":
            parts.append(_field_html(block, errors.get(str(block.get("block_id")))))
        else:
            parts.append(slack_render.block_html(block, "", names, ws.users[user].tz))
    hidden = {"view_id": view["id"], "user": user, "team": ws.team_id, "back": urlencode(back)}
    fields = "".join(f"<input type='hidden' name='{k}' value='{escape(v, quote=True)}'>" for k, v in hidden.items())
    general = f"<div class='field-error'>{escape(errors[''])}</div>" if "" in errors else ""
    submit_label = escape(str((view.get("submit") or {}).get("text", "")))
    close_label = escape(str((view.get("close") or {}).get("text", "Cancel")))
    submit_button = f"<button class='primary' type='submit'>{submit_label}</button>" if "submit" in view else ""
    return (
        f"<div class='modal'><h2>{escape(str(view['title']['text']))}</h2>{general}"
        f"<form method='post' action='{base}/view_submission'>{fields}{''.join(parts)}"
        f"<p>{submit_button}</p></form>"
        f"<form method='post' action='{base}/view_close'>{fields}<button type='submit'>{close_label}</button></form>"
        "</div>"
    )


async def control_modals(request: Request) -> Response:
    """For tests: a person's modals (open and closed), newest last, each with its views in order."""
    sandbox = request.app.state.sandbox
    ws = sandbox.team(request.query_params)
    if ws is None:
        return JSONResponse({"error": "no such team"}, status_code=404)
    user = request.query_params.get("user")
    listed = [m for m in ws.modals.values() if user is None or m["user"] == user]
    return JSONResponse({"modals": listed})
