"""The Slack stand-in: Web API methods, a channel page with a slash-command box, button clicks.

Requests to the app (slash commands, block actions) are signed with the app's signing
secret exactly as Slack signs them, and sent to the app's /slack/events.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import secrets
import time
from html import escape
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from . import slack_modals, slack_render
from .html import mount_url, page
from .slack_api import SlackApi
from .slack_state import DEFAULT_BOT_TOKEN, DEFAULT_OAUTH_CLIENT, DEFAULT_SIGNING_SECRET, MOUNT, Channel, Workspace
from .targets import Targets


class SlackSandbox:
    """The workspace plus what is needed to call the app as Slack would."""

    def __init__(
        self,
        *,
        app_events_url: str,
        signing_secret: str = DEFAULT_SIGNING_SECRET,
        bot_token: str = DEFAULT_BOT_TOKEN,
        workspace: Workspace | None = None,
    ) -> None:
        self.app_events_url = app_events_url  # or several, separated by commas: deliveries take turns
        self.targets = Targets()
        self.signing_secret = signing_secret
        self.workspace = workspace or Workspace.demo()  # the default team, where a request names none
        self.api = SlackApi(self.workspace, bot_token)
        self.workspaces = self.api.workspaces
        self.response_urls: dict[str, dict[str, str]] = {}
        self._answered: dict[str, asyncio.Event] = {}

    def export_state(self) -> dict[str, Any]:
        """What a restarted demo needs (see sandbox.snapshots): the teams and their messages, installed tokens."""
        return {"workspaces": self.workspaces, "tokens": self.api.tokens, "token_teams": self.api.token_teams}

    def import_state(self, state: dict[str, Any]) -> None:
        self.workspaces.clear()
        self.workspaces.update(state["workspaces"])
        self.workspace = self.api.workspace = self.workspaces.get(self.workspace.team_id) or self.workspace
        self.api.tokens.update(state["tokens"])
        self.api.token_teams.update(state["token_teams"])

    def team(self, source: Any) -> Workspace | None:
        """The team a form or query names with `team` (the default one without); None: no such team."""
        team_id = str(source.get("team") or self.workspace.team_id)
        return self.workspaces.get(team_id)

    def add_workspace(self, team_id: str, team_name: str) -> Workspace:
        workspace = self.workspaces.get(team_id) or Workspace.demo(team_id, team_name)
        self.workspaces[team_id] = workspace
        return workspace

    def sign(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        digest = hmac.new(self.signing_secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}

    async def deliver(self, body: str, content_type: str) -> httpx.Response:
        headers = {"Content-Type": content_type, **self.sign(body)}
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.post(self.targets.next(self.app_events_url), content=body, headers=headers)

    def new_response_url(self, base: str, ws: Workspace, user: str, channel: str) -> str:
        rid = secrets.token_urlsafe(12)
        self.response_urls[rid] = {"team": ws.team_id, "user": user, "channel": channel}
        self._answered[rid] = asyncio.Event()
        return f"{base}/response/{rid}"

    def answered(self, rid: str) -> None:
        if rid in self._answered:
            self._answered[rid].set()

    async def wait_answer(self, rid: str, seconds: float = 2.0) -> None:
        """Give the app a moment to answer through response_url, so the page shows the answer at once."""
        event = self._answered.get(rid)
        if event is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), seconds)
            self._answered.pop(rid, None)

    def show_reply(
        self, ws: Workspace, reply: dict[str, Any], *, user: str, channel: str, rid: str | None = None
    ) -> None:
        """Show what the app answered: in the channel, or privately to the user."""
        if not (reply.get("text") or reply.get("blocks")):
            return
        content = {"text": reply.get("text") or "", "blocks": reply.get("blocks") or []}
        if reply.get("response_type") == "in_channel":
            chan = ws.find_channel(channel)
            if chan is not None:
                chan.messages.append({"type": "message", "ts": ws.next_ts(), "user": user, **content})
            return
        ephemerals = ws.ephemerals
        replaced = 0  # how many times this private answer was edited in place (response_url, replace_original)
        if rid is not None and reply.get("replace_original"):
            earlier = [e for e in ephemerals if e.get("rid") == rid]
            replaced = sum(1 + int(e.get("replaced", 0)) for e in earlier)
            ephemerals[:] = [e for e in ephemerals if e.get("rid") != rid]
        ts = ws.next_ts()
        ephemerals.append({"ts": ts, "user": user, "channel": channel, "rid": rid, "replaced": replaced, **content})


def _sandbox(request: Request) -> SlackSandbox:
    return request.app.state.sandbox


def _base(request: Request) -> str:
    return mount_url(request)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _reply_from(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        return {"text": f'/ponto failed with the error "dispatch_failed" (HTTP {response.status_code})'}
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {"text": response.text}
    return body if isinstance(body, dict) else {"text": str(body)}


def _actor(sandbox: SlackSandbox, form: Any) -> tuple[Workspace, str, Channel] | None:
    """Which team, who acts, and where; the page sends these with every form."""
    ws = sandbox.team(form)
    if ws is None:
        return None
    user = str(form.get("user") or "U0DEMO")
    channel = ws.find_channel(str(form.get("channel") or "C0FINANCE"))
    if channel is None or user not in ws.users:
        return None
    return ws, user, channel


def _answer(
    request: Request, reply: dict[str, Any], ws: Workspace, user: str, channel: Channel, **extra: Any
) -> Response:
    """JSON for tests and scripts, else back to the channel page as a browser expects."""
    if _wants_json(request):
        return JSONResponse({"reply": reply, **extra})
    return RedirectResponse(f"{_base(request)}/?{urlencode(_where(ws, user, channel.id))}", 303)


def _where(ws: Workspace, user: str, channel: str) -> dict[str, str]:
    """The page's query for a user in a channel; the team only when it is not the default one."""
    return {"user": user, "channel": channel, **({"team": ws.team_id} if ws.team_id != "T0DEMO" else {})}


async def command(request: Request) -> Response:
    """The slash-command box: sends a signed /ponto command to the app."""
    sandbox = _sandbox(request)
    actor = _actor(sandbox, form := await request.form())
    if actor is None:
        return PlainTextResponse("unknown user or channel", status_code=400)
    ws, user, channel = actor
    text = str(form.get("text", "")).strip()
    response_url = sandbox.new_response_url(_base(request), ws, user, channel.id)
    rid = response_url.rsplit("/", 1)[1]
    body = urlencode(
        {
            "token": "sandbox-verification-token",
            "team_id": ws.team_id,
            "team_domain": ws.domain,
            "channel_id": channel.id,
            "channel_name": channel.name,
            "user_id": user,
            "user_name": ws.users[user].name,
            "command": "/ponto",
            "text": text,
            "api_app_id": ws.app_id,
            "response_url": response_url,
            "trigger_id": sandbox.api.issue_trigger(ws.team_id, user),
            "is_enterprise_install": "false",
            **({"enterprise_id": ws.enterprise_id} if ws.enterprise_id else {}),
        }
    )
    reply = _reply_from(await sandbox.deliver(body, "application/x-www-form-urlencoded"))
    sandbox.show_reply(ws, reply, user=user, channel=channel.id, rid=rid)
    if not _wants_json(request):
        await sandbox.wait_answer(rid)
    return _answer(request, reply, ws, user, channel, response_url=response_url)


async def send_event(sandbox: SlackSandbox, ws: Workspace, event: dict[str, Any]) -> httpx.Response:
    """An Events API callback, signed, as Slack delivers it."""
    envelope = {
        "token": "sandbox-verification-token",
        "team_id": ws.team_id,
        "api_app_id": ws.app_id,
        "event": {**event, "event_ts": f"{time.time():.6f}"},
        "type": "event_callback",
        "event_id": f"Ev{secrets.token_hex(6).upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": ws.team_id, "user_id": ws.bot_user_id, "is_bot": True}],
    }
    return await sandbox.deliver(json.dumps(envelope), "application/json")


def _clicked(view: dict[str, Any], form: Any) -> dict[str, Any] | None:
    """The button of the view the form names, if the view has it (a stale page's click is refused)."""
    wanted = (str(form.get("action_id", "")), str(form.get("value", "")))
    for block in view.get("blocks") or []:
        for element in block.get("elements") or []:
            if (element.get("action_id"), element.get("value")) == wanted:
                return {"block_id": block.get("block_id", ""), **element}
    return None


def _block_actions(ws: Workspace, user: str, button: Any, where: dict[str, Any]) -> tuple[str, str]:
    """A button's block_actions payload, form-encoded as Slack posts it; `where` says what was clicked in."""
    payload = {
        "type": "block_actions",
        "team": {"id": ws.team_id, "domain": ws.domain},
        "user": {"id": user, "username": ws.users[user].name, "team_id": ws.team_id},
        "api_app_id": ws.app_id,
        "token": "sandbox-verification-token",
        "enterprise": {"id": ws.enterprise_id} if ws.enterprise_id else None,
        "is_enterprise_install": False,
        **where,
        "actions": [
            {
                "type": "button",
                "action_id": str(button.get("action_id", "")),
                "block_id": str(button.get("block_id", "")),
                "value": str(button.get("value", "")),
                "action_ts": str(time.time()),
            }
        ],
    }
    body = "payload=" + json.dumps(payload).replace("%", "%25").replace("&", "%26").replace("+", "%2B")
    return body, "application/x-www-form-urlencoded"


async def home_action(request: Request, sandbox: SlackSandbox, ws: Workspace, user: str, form: Any) -> Response:
    """A click in the Home tab: a block_actions payload with the view and no response_url (as Slack's)."""
    view = ws.homes.get(user)
    element = _clicked(view, form) if view else None
    if view is None or element is None:
        return PlainTextResponse("no such button in this person's Home tab", status_code=404)
    trigger = sandbox.api.issue_trigger(ws.team_id, user)
    where = {"container": {"type": "view", "view_id": view["id"]}, "view": view, "trigger_id": trigger}
    reply = await sandbox.deliver(*_block_actions(ws, user, element, where))
    if _wants_json(request):
        return JSONResponse({"status": reply.status_code})
    await asyncio.sleep(0.5)  # the app answers in the DM and publishes the tab again: show that
    return RedirectResponse(f"{_base(request)}/?{urlencode({**_where(ws, user, 'C0FINANCE'), 'tab': 'home'})}", 303)


async def action(request: Request) -> Response:
    """A button click on a message: sends a signed block_actions payload to the app."""
    sandbox = _sandbox(request)
    form = await request.form()
    if form.get("view") == "home":
        ws = sandbox.team(form)
        user = str(form.get("user") or "U0DEMO")
        if ws is None or user not in ws.users:
            return PlainTextResponse("unknown team or user", status_code=400)
        return await home_action(request, sandbox, ws, user, form)
    actor = _actor(sandbox, form)
    if actor is None:
        return PlainTextResponse("unknown user or channel", status_code=400)
    ws, user, channel = actor
    ts = str(form.get("ts", ""))
    message = ws.find_message(channel, ts)
    ephemeral = message is None
    if message is None:
        message = next((e for e in ws.ephemerals if e["ts"] == ts), None)
    if message is None:
        return PlainTextResponse("message not found", status_code=404)
    response_url = sandbox.new_response_url(_base(request), ws, user, channel.id)
    where = {
        "container": {"type": "message", "message_ts": ts, "channel_id": channel.id, "is_ephemeral": ephemeral},
        "channel": {"id": channel.id, "name": channel.name},
        "message": {k: v for k, v in message.items() if k != "rid"},
        "response_url": response_url,
        "trigger_id": sandbox.api.issue_trigger(ws.team_id, user),
    }
    reply = _reply_from(await sandbox.deliver(*_block_actions(ws, user, form, where)))
    rid = response_url.rsplit("/", 1)[1]
    sandbox.show_reply(ws, reply, user=user, channel=channel.id, rid=rid)
    if not _wants_json(request):
        await sandbox.wait_answer(rid)
    return _answer(request, reply, ws, user, channel)


async def response_url(request: Request) -> Response:
    """Slack's response_url: the app's delayed answers to a command or a click."""
    sandbox = _sandbox(request)
    rid = request.path_params["rid"]
    target = sandbox.response_urls.get(rid)
    if target is None:
        return PlainTextResponse("no_active_hooks", status_code=404)
    reply = await request.json()
    ws = sandbox.workspaces[target["team"]]
    sandbox.show_reply(ws, reply, user=target["user"], channel=target["channel"], rid=rid)
    sandbox.answered(rid)
    return PlainTextResponse("ok")


async def api(request: Request) -> Response:
    return await _sandbox(request).api.handle(request)


async def control_ephemeral(request: Request) -> Response:
    """For tests and the page: the private messages a user has seen."""
    user = request.query_params.get("user")
    ws = _sandbox(request).team(request.query_params)
    if ws is None:
        return JSONResponse({"error": "team not found"}, status_code=404)
    items = [e for e in ws.ephemerals if user is None or e["user"] == user]
    return JSONResponse({"ephemerals": items})


async def authorize_page(request: Request) -> Response:
    """Slack's 'Add to Slack' consent, approved by the demo admin; redirects with a code and the state."""
    sandbox = _sandbox(request)
    params = request.query_params if request.method == "GET" else await request.form()
    if params.get("client_id") != DEFAULT_OAUTH_CLIENT[0] or not params.get("state"):
        return PlainTextResponse("invalid_client_id or missing state", status_code=400)
    redirect_uri = str(params.get("redirect_uri") or "")
    if not redirect_uri.startswith(("http://", "https://")):
        return PlainTextResponse("redirect_uri is required", status_code=400)
    ws = sandbox.team(params)  # the team the person installs into (`team`, as Slack's own parameter)
    if ws is None:
        return PlainTextResponse("team not found", status_code=400)
    if request.method == "GET":
        hidden = "".join(
            f"<input type='hidden' name='{k}' value='{escape(str(v), quote=True)}'>" for k, v in params.items()
        )
        body = (
            f"<main><h1>Install the app in {escape(ws.team_name)}?</h1>"
            f"<p>Scopes: <code>{escape(str(params.get('scope', '')))}</code></p><form method='post'>{hidden}"
            "<button class='primary' type='submit'>Allow</button></form></main>"
        )
        return HTMLResponse(page("Install app", body))
    code = secrets.token_urlsafe(16)
    sandbox.api.install_codes[code] = ("U0DEMO", ws.team_id)
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode({'code': code, 'state': params['state']})}", 303)


async def control_faults(request: Request) -> Response:
    """{"method": "chat.postMessage", "status": 429, "retry_after": 1, "count": 3} or {"error": "..."}; with
    "rate" (0.1: one call in ten) instead of a count, the fault stays until DELETE."""
    api_state = _sandbox(request).api
    if request.method == "DELETE":
        api_state.faults.clear()
        return JSONResponse({"faults": 0})
    body = await request.json()
    if not isinstance(body, dict) or not body.get("method"):
        return JSONResponse({"error": "method is required"}, status_code=400)
    if "rate" in body and not 0 < float(body["rate"]) <= 1:
        return JSONResponse({"error": "rate is the share of calls to fail, in (0, 1]"}, status_code=400)
    api_state.faults.append({"count": 1, **body})
    return JSONResponse({"faults": len(api_state.faults)}, status_code=201)


async def control_channels(request: Request) -> Response:
    """{"channel": id or name, "is_archived"?: bool, "members"?: [...]} changes a channel, as an admin would;
    {"name": ..., "is_private"?: bool, "members"?: [...]} creates one."""
    body = await request.json()
    workspace = _sandbox(request).team(body)
    if workspace is None:
        return JSONResponse({"error": "team not found"}, status_code=404)
    if body.get("name") and not body.get("channel"):
        members = set(body.get("members") or workspace.users)
        created = workspace.add_channel(str(body["name"]), is_private=bool(body.get("is_private")), members=members)
        return JSONResponse({"channel": created.id, "members": sorted(created.members)}, status_code=201)
    channel = workspace.find_channel(str(body.get("channel", "")))
    if channel is None:
        return JSONResponse({"error": "channel not found"}, status_code=404)
    if "is_archived" in body:
        channel.is_archived = bool(body["is_archived"])
    if "members" in body:
        channel.members = set(body["members"])
    return JSONResponse({"channel": channel.id, "is_archived": channel.is_archived, "members": sorted(channel.members)})


async def control_history(request: Request) -> Response:
    """For tests: every message of a channel, newest first, with metadata; not an app call, so no scope."""
    ws = _sandbox(request).team(request.query_params)
    channel = ws.find_channel(request.query_params.get("channel", "")) if ws else None
    if channel is None:
        return JSONResponse({"error": "channel not found"}, status_code=404)
    return JSONResponse({"channel": channel.id, "messages": list(reversed(channel.messages))})


async def control_home(request: Request) -> Response:
    """For tests: the Home tab the app last published for `user` (null when none)."""
    ws = _sandbox(request).team(request.query_params)
    if ws is None:
        return JSONResponse({"error": "team not found"}, status_code=404)
    return JSONResponse({"view": ws.homes.get(request.query_params.get("user", ""))})


async def control_scopes(request: Request) -> Response:
    """The scopes the app's token holds and the ones its calls needed so far (to check the manifest)."""
    api_state = _sandbox(request).api
    return JSONResponse({"granted": sorted(api_state.scopes), "used": sorted(api_state.scopes_used)})


async def control_workspace(request: Request) -> Response:
    """{"enterprise_id": "E0..."}: the workspace belongs to an Enterprise Grid org (set before install);
    {"team": "T0...", "team_name"?: ...}: that team, made first if there is none (same people and channels)."""
    sandbox = _sandbox(request)
    body = await request.json()
    team = str(body.get("team") or sandbox.workspace.team_id)
    workspace = sandbox.add_workspace(team, str(body.get("team_name") or f"Team {team}"))
    if "enterprise_id" in body:
        workspace.enterprise_id = body.get("enterprise_id") or None
    return JSONResponse({"team_id": workspace.team_id, "enterprise_id": workspace.enterprise_id})


async def channel_page(request: Request) -> Response:
    """A channel, the app's DM with a person (`channel=D…`), or the app's Home tab (`tab=home`)."""
    sandbox = _sandbox(request)
    ws = sandbox.team(request.query_params) or sandbox.workspace
    user = request.query_params.get("user", "U0DEMO")
    if user not in ws.users:
        return PlainTextResponse("unknown user", status_code=400)
    if request.query_params.get("tab") == "home":
        return await home_page(request, sandbox, ws, user)
    channel = ws.find_channel(request.query_params.get("channel", "C0FINANCE")) or ws.channels["C0FINANCE"]
    names = {u.id: u.real_name for u in ws.users.values()} | {ws.bot_user_id: "Ponto (app)"}
    names |= {c.id: c.name for c in ws.channels.values()}  # so <#C…> reads #finance, as in Slack
    action_form = f"{_base(request)}/action"
    items = [(m, names.get(m.get("user", ""), "?"), False) for m in channel.messages]
    items += [
        (e, "Only visible to you · Ponto", True)
        for e in ws.ephemerals
        if e["user"] == user and e["channel"] == channel.id
    ]
    items.sort(key=lambda item: float(item[0]["ts"]))
    where = _hidden_fields(_where(ws, user, channel.id))
    zone = ws.users[user].tz  # times as this reader sees them
    feed = "".join(_message(m, action_form, names, who, where, eph, zone) for m, who, eph in items)
    user_links = " · ".join(
        f"<a href='?{urlencode(_where(ws, u.id, channel.id))}'>{escape(u.real_name)}</a>"
        + (" (admin)" if u.is_admin else "")
        for u in ws.users.values()
    )
    title = "Ponto (app): direct messages" if channel.id.startswith("D") else f"#{channel.name}"
    body = (
        f"<main><h1>{escape(title)} <span class='muted'>{escape(ws.team_name)} (Slack stand-in)</span></h1>"
        f"<p class='muted'>{_navigation(ws, user, channel.id)}<br>You are <b>{escape(names.get(user, user))}</b>. "
        f"Switch: {user_links}</p>"
        f"<form class='composer' method='post' action='{_base(request)}/command'>"
        f"{_hidden_fields(_where(ws, user, channel.id))}"
        "<label>/ponto <input type='text' name='text' placeholder='activate | status | help' autofocus></label> "
        "<button class='primary' type='submit'>Send</button></form>"
        f"{slack_modals.modal_html(ws, user, _base(request), _where(ws, user, channel.id), names)}"
        f"{feed or '<p class=muted>No messages yet. Type <code>activate</code> and press Send.</p>'}"
        "<p class='muted'><a href=''>Refresh</a> to see new messages.</p></main>"
    )
    return HTMLResponse(page(title, body, extra_style=slack_render.STYLE))


def _navigation(ws: Workspace, user: str, current: str) -> str:
    """The channels the person is in, their DM with the app and the app's Home tab, as Slack's sidebar."""
    links = [
        f"<a href='?{urlencode(_where(ws, user, c.id))}'>#{escape(c.name)}</a>"
        for c in ws.channels.values()
        if not c.id.startswith("D") and user in c.members
    ]
    links.append(f"<a href='?{urlencode(_where(ws, user, 'D' + user))}'>Ponto (app): messages</a>")
    links.append(f"<a href='?{urlencode({**_where(ws, user, current), 'tab': 'home'})}'>Ponto (app): Home</a>")
    return "Channels: " + " · ".join(links)


async def home_page(request: Request, sandbox: SlackSandbox, ws: Workspace, user: str) -> Response:
    """Opening the tab tells the app (`app_home_opened`), which publishes the view shown here."""
    before = ws.homes.get(user)
    await send_event(sandbox, ws, {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"})
    for _ in range(40):  # the app publishes after acknowledging: wait for it, briefly
        if ws.homes.get(user) is not before:
            break
        await asyncio.sleep(0.05)
    view = ws.homes.get(user)
    names = {u.id: u.real_name for u in ws.users.values()} | {c.id: c.name for c in ws.channels.values()}
    where = _hidden_fields({**_where(ws, user, "C0FINANCE"), "view": "home"}) + "</form>"
    blocks = "".join(
        slack_render.block_html(b, f"{_base(request)}/action", names, ws.users[user].tz)
        for b in (view or {}).get("blocks", [])
    )
    content = blocks.replace("</form>", where) or "<p class='muted'>The app has published no Home tab.</p>"
    body = (
        f"<main><h1>Ponto (app): Home <span class='muted'>{escape(ws.team_name)} (Slack stand-in)</span></h1>"
        f"<p class='muted'>{_navigation(ws, user, 'C0FINANCE')}</p>"
        f"{slack_modals.modal_html(ws, user, _base(request), {**_where(ws, user, 'C0FINANCE'), 'tab': 'home'}, names)}"
        f"<div class='home'>{content}</div></main>"
    )
    return HTMLResponse(page("Home", body, extra_style=slack_render.STYLE))


def _hidden_fields(values: dict[str, str]) -> str:
    return "".join(f"<input type='hidden' name='{k}' value='{escape(v, quote=True)}'>" for k, v in values.items())


def _message(
    message: dict[str, Any], form: str, names: dict[str, str], who: str, where: str, ephemeral: bool, zone: str
) -> str:
    hidden = f"{where}<input type='hidden' name='ts' value='{message['ts']}'></form>"
    html = slack_render.message_html(message, form, names, who, zone).replace("</form>", hidden)
    return f"<div class='ephemeral'>{html}</div>" if ephemeral else html


def create_app(sandbox: SlackSandbox) -> Starlette:
    """The stand-in as an ASGI app, to be mounted at /sandbox/slack."""
    app = Starlette(
        routes=[
            Route("/", channel_page, methods=["GET"]),
            Route("/command", command, methods=["POST"]),
            Route("/action", action, methods=["POST"]),
            Route("/response/{rid}", response_url, methods=["POST"]),
            Route("/api/{method}", api, methods=["GET", "POST"]),
            Route("/oauth/v2/authorize", authorize_page, methods=["GET", "POST"]),
            Route("/_control/ephemeral", control_ephemeral, methods=["GET"]),
            Route("/_control/faults", control_faults, methods=["POST", "DELETE"]),
            Route("/_control/channels", control_channels, methods=["POST"]),
            Route("/_control/scopes", control_scopes, methods=["GET"]),
            Route("/_control/history", control_history, methods=["GET"]),
            Route("/_control/home", control_home, methods=["GET"]),
            Route("/_control/workspace", control_workspace, methods=["POST"]),
            Route("/_control/modals", slack_modals.control_modals, methods=["GET"]),
            Route("/view_submission", slack_modals.submit, methods=["POST"]),
            Route("/view_close", slack_modals.close, methods=["POST"]),
        ]
    )
    app.state.sandbox = sandbox
    return app


def create_standalone_app(sandbox: SlackSandbox) -> Starlette:
    return Starlette(routes=[Mount(MOUNT, app=create_app(sandbox))])
