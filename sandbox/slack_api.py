"""The Slack Web API methods the app uses, answering like Slack (`ok`, `error`, HTTP 200)."""

from __future__ import annotations

import base64
import json
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .slack_limits import message_problem, modal_problem, view_problem
from .slack_render import message_anchor
from .slack_scopes import HISTORY, LIST_TYPES, READ, kind, manifest_scopes
from .slack_state import DEFAULT_OAUTH_CLIENT, MOUNT, Channel, Workspace

Handler = Callable[["SlackApi", dict[str, Any]], Awaitable[dict[str, Any]]]
METHODS: dict[str, Handler] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        METHODS[name] = func
        return func

    return register


class ApiError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def _channel_json(channel: Channel, member: str) -> dict[str, Any]:
    return {
        "id": channel.id,
        "name": channel.name,
        "is_channel": not channel.is_private,
        "is_private": channel.is_private,
        "is_archived": channel.is_archived,
        "is_member": member in channel.members,
        "num_members": len(channel.members),
    }


class SlackApi:
    """Dispatches /api/<method> calls against the workspace state."""

    def __init__(self, workspace: Workspace, bot_token: str, scopes: frozenset[str] | None = None) -> None:
        self.workspace = workspace  # the current call's: set from its token
        self.workspaces = {workspace.team_id: workspace}  # every team, the first one the default
        self.bot_token = bot_token
        self.scopes = manifest_scopes() if scopes is None else scopes
        self.tokens = {bot_token: self.scopes}  # plus the ones issued by oauth.v2.access
        self.token_teams = {bot_token: workspace.team_id}
        self.scopes_used: set[str] = set()  # every scope a call needed and had
        self._granted: frozenset[str] = frozenset()
        self.install_codes: dict[str, tuple[str, str]] = {}  # code -> installing user, team
        self.triggers: dict[str, tuple[str, str, float]] = {}  # trigger_id -> team, user, when given (monotonic)
        self.spent_triggers: set[str] = set()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.faults: list[dict[str, Any]] = []  # {"method", "status" or "error", "count" or "rate", "retry_after"}
        self.random = random.Random(11)

    async def handle(self, request: Request) -> Response:
        name = request.path_params["method"]
        params = await _params(request)
        self.calls.append((name, params))
        if name == "oauth.v2.access":
            return JSONResponse(self._oauth_access(request, params))
        handler = METHODS.get(name)
        if handler is None:
            return JSONResponse({"ok": False, "error": "unknown_method"}, status_code=404)
        fault = self._fault(name)
        if fault is not None and fault.get("after_posting"):
            fault["count"] -= 1  # Slack did the work, then the answer was lost: a 5xx the caller cannot trust
            await self._call(handler, request, params)
            return JSONResponse({"ok": False, "error": "internal_error"}, status_code=int(fault.get("status") or 500))
        if fault is not None:
            fault["count"] -= 1
            if fault.get("status") == 429:
                headers = {"Retry-After": str(fault.get("retry_after", 1))}
                return JSONResponse({"ok": False, "error": "ratelimited"}, status_code=429, headers=headers)
            if fault.get("status"):
                return JSONResponse({"ok": False, "error": "internal_error"}, status_code=int(fault["status"]))
            return JSONResponse({"ok": False, "error": fault.get("error", "internal_error")})
        return JSONResponse(await self._call(handler, request, params))

    def issue_trigger(self, team_id: str, user_id: str) -> str:
        """A trigger_id for a command or a click: Slack takes it once, within 3 seconds, to open a modal."""
        trigger = f"{secrets.randbelow(10**12)}.{secrets.token_hex(8)}"
        self.triggers[trigger] = (team_id, user_id, time.monotonic())
        return trigger

    def _fault(self, name: str) -> dict[str, Any] | None:
        """The next counted fault for this method; else, drawn once, one of its rate faults (kept until
        cleared, several adding up)."""
        matching = [f for f in self.faults if f["method"] == name]
        counted = next((f for f in matching if "rate" not in f and f["count"] > 0), None)
        if counted is not None:
            return counted
        draw = self.random.random()
        for fault in matching:
            draw -= float(fault.get("rate") or 0)
            if draw < 0:
                return {**fault, "count": 1}  # a copy: a rate fault is never used up
        return None

    async def _call(self, handler: Handler, request: Request, params: dict[str, Any]) -> dict[str, Any]:
        token = _token(request, params)
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token not in self.tokens:
            return {"ok": False, "error": "invalid_auth"}
        self._granted = self.tokens[token]  # handlers do not await, so these are the current call's
        self.workspace = self.workspaces[self.token_teams[token]]
        try:
            result = await handler(self, params)
        except ApiError as exc:
            return {"ok": False, "error": exc.error, **exc.extra}
        return {"ok": True, **result}

    def _oauth_access(self, request: Request, params: dict[str, Any]) -> dict[str, Any]:
        """The install's code exchange: client credentials (Basic auth or form), a single-use code."""
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            client_id, _, client_secret = base64.b64decode(header[6:]).decode().partition(":")
        if (client_id, client_secret) != DEFAULT_OAUTH_CLIENT:
            return {"ok": False, "error": "invalid_client_id"}
        installed = self.install_codes.pop(str(params.get("code", "")), None)
        if installed is None:
            return {"ok": False, "error": "invalid_code"}
        user, team = installed
        token = f"xoxb-installed-{secrets.token_hex(8)}"
        self.tokens[token] = self.scopes
        self.token_teams[token] = team
        ws = self.workspaces[team]
        return {
            "ok": True,
            "access_token": token,
            "token_type": "bot",
            "scope": ",".join(sorted(self.scopes)),
            "bot_user_id": ws.bot_user_id,
            "app_id": ws.app_id,
            "team": {"id": ws.team_id, "name": ws.team_name},
            "enterprise": {"id": ws.enterprise_id, "name": "Demo Grid"} if ws.enterprise_id else None,
            "is_enterprise_install": False,
            "authed_user": {"id": user},
        }

    def require(self, scope: str) -> None:
        """Slack's answer to a call the token lacks the scope for."""
        if scope not in self._granted:
            raise ApiError("missing_scope", needed=scope, provided=",".join(sorted(self._granted)))
        self.scopes_used.add(scope)

    def has(self, scope: str) -> bool:
        return scope in self._granted

    def channel(self, params: dict[str, Any]) -> Channel:
        """The channel a call names; a private one the bot is not in does not exist for it."""
        channel = self.workspace.find_channel(str(params.get("channel", "")))
        if channel is None or (channel.is_private and not self.is_member(channel)):
            raise ApiError("channel_not_found")
        return channel

    def is_member(self, channel: Channel) -> bool:
        return self.workspace.bot_user_id in channel.members


async def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        if request.headers.get("content-type", "").startswith("application/json"):
            body = await request.json()
            params.update(body if isinstance(body, dict) else {})
        else:
            params.update(dict(await request.form()))
    for key in ("blocks", "metadata", "view"):  # form-encoded calls send these as JSON text
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


def _token(request: Request, params: dict[str, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return params.get("token")


def _message_content(params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("text") and not params.get("blocks"):
        raise ApiError("no_text")
    text, blocks = str(params.get("text") or ""), params.get("blocks") or []
    problem = message_problem(text, blocks)
    if problem:
        raise ApiError(problem)
    return {"text": text, "blocks": blocks}


@method("auth.test")
async def auth_test(api: SlackApi, params: dict[str, Any]) -> dict[str, Any]:
    ws = api.workspace
    return {
        "url": f"https://{ws.domain}.slack.com/",
        "team": ws.team_name,
        "user": "ponto",
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "enterprise_id": ws.enterprise_id,
        "is_enterprise_install": False,
    }


@method("chat.postMessage")
async def post_message(api: SlackApi, params: dict[str, Any]) -> dict[str, Any]:
    """A public channel the bot is not in takes posts only with chat:write.public."""
    api.require("chat:write")
    channel = api.channel(params)
    if channel.is_archived:
        raise ApiError("is_archived")
    if not api.is_member(channel):
        if not api.has("chat:write.public"):
            raise ApiError("not_in_channel")
        api.require("chat:write.public")
    message = {
        "type": "message",
        "ts": api.workspace.next_ts(),
        "user": api.workspace.bot_user_id,
        "bot_id": api.workspace.bot_id,
        "app_id": api.workspace.app_id,
        **_message_content(params),
    }
    if params.get("metadata"):
        message["metadata"] = params["metadata"]
    if params.get("thread_ts"):
        message["thread_ts"] = params["thread_ts"]
    channel.messages.append(message)
    return {"channel": channel.id, "ts": message["ts"], "message": message}


@method("chat.postEphemeral")
async def post_ephemeral(api: SlackApi, params: dict[str, Any]) -> dict[str, Any]:
    api.require("chat:write")
    channel = api.channel(params)
    user = str(params.get("user", ""))
    if user not in api.workspace.users:
        raise ApiError("user_not_found")
    if user not in channel.members:
        raise ApiError("user_not_in_channel")
    ts = api.workspace.next_ts()
    api.workspace.ephemerals.append({"ts": ts, "user": user, "channel": channel.id, **_message_content(params)})
    return {"message_ts": ts}


@method("chat.update")
async def update(api: SlackApi, params: dict[str, Any]) -> dict[str, Any]:
    api.require("chat:write")
    channel = api.channel(params)
    message = api.workspace.find_message(channel, str(params.get("ts", "")))
    if message is None:
        raise ApiError("message_not_found")
    if message.get("bot_id") != api.workspace.bot_id:
        raise ApiError("cant_update_message")
    message.update(_message_content(params))
    if params.get("metadata"):
        message["metadata"] = params["metadata"]
    message["edited"] = {"user": api.workspace.bot_user_id, "ts": api.workspace.next_ts()}
    return {"channel": channel.id, "ts": message["ts"], "text": message["text"]}


@method("chat.getPermalink")
async def get_permalink(api: SlackApi, params: dict[str, Any]) -> dict[str, Any]:
    """A link to one message (no scope needed, as at Slack); here, the stand-in's page at that message."""
    channel = api.channel(params)
    ts = str(params.get("message_ts", ""))
    if api.workspace.find_message(channel, ts) is None:
        raise ApiError("message_not_found")
    return {"channel": channel.id, "permalink": f"{MOUNT}/?channel={channel.id}#{message_anchor(ts)}"}


def _page(items: list[Any], params: dict[str, Any], default: int = 100) -> tuple[list[Any], str]:
    limit = max(1, min(int(params.get("limit") or default), 1000))
    start = int(params.get("cursor") or 0)
    chunk = items[start : start + limit]
    return chunk, str(start + limit) if start + limit < len(items) else ""


@method("conversations.list")
async def conversations_list(api: SlackApi, params: dict[str, Any]) -> dict[str, Any]:
    """Each requested type needs its scope; private channels are listed only when the bot is in them."""
    types = {t.strip() for t in str(params.get("types") or "public_channel").split(",") if t.strip()}
    for name in sorted(types):
        if name not in LIST_TYPES:
            raise ApiError("invalid_types")
        api.require(LIST_TYPES[name])
    archived = str(params.get("exclude_archived", "")).lower() not in ("1", "true")
    channels = [
        _channel_json(c, api.workspace.bot_user_id)
        for c in api.workspace.channels.values()
        if kind(c) != "im"
        and (archived or not c.is_archived)
        and ("private_channel" if c.is_private else "public_channel") in types
        and (not c.is_private or api.is_member(c))
    ]
    chunk, cursor = _page(channels, params)
    return {"channels": chunk, "response_metadata": {"next_cursor": cursor}}


@method("conversations.info")
async def conversations_info(api: SlackApi, params: dict[str, Any]) -> dict[str, Any]:
    channel = api.channel(params)
    api.require(READ[kind(channel)])
    return {"channel": _channel_json(channel, api.workspace.bot_user_id)}


@method("conversations.join")
async def conversations_join(api: SlackApi, params: dict[str, Any]) -> dict[str, Any]:
    api.require("channels:join")
    channel = api.channel(params)
    if channel.is_private:
        raise ApiError("method_not_supported_for_channel_type")
    if channel.is_archived:
        raise ApiError("is_archived")
    channel.members.add(api.workspace.bot_user_id)
    return {"channel": _channel_json(channel, api.workspace.bot_user_id)}


@method("conversations.history")
async def conversations_history(api: SlackApi, params: dict[str, Any]) -> dict[str, Any]:
    """Only members read a channel's history, with the history scope of its type."""
    channel = api.channel(params)
    api.require(HISTORY[kind(channel)])
    if not api.is_member(channel):
        raise ApiError("not_in_channel")
    newest_first = list(reversed(channel.messages))
    if params.get("oldest"):
        newest_first = [m for m in newest_first if float(m["ts"]) > float(params["oldest"])]
    if params.get("latest"):
        newest_first = [m for m in newest_first if float(m["ts"]) < float(params["latest"])]
    include_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
    messages = [m if include_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in newest_first]
    chunk, cursor = _page(messages, params)
    return {"messages": chunk, "has_more": bool(cursor), "response_metadata": {"next_cursor": cursor}}


@method("conversations.members")
async def conversations_members(api: SlackApi, params: dict[str, Any]) -> dict[str, Any]:
    channel = api.channel(params)
    api.require(READ[kind(channel)])
    chunk, cursor = _page(sorted(channel.members), params)
    return {"members": chunk, "response_metadata": {"next_cursor": cursor}}


@method("users.info")
async def users_info(api: SlackApi, params: dict[str, Any]) -> dict[str, Any]:
    api.require("users:read")
    user = api.workspace.users.get(str(params.get("user", "")))
    if user is None:
        raise ApiError("user_not_found")
    return {
        "user": {
            "id": user.id,
            "team_id": api.workspace.team_id,
            "name": user.name,
            "real_name": user.real_name,
            "tz": user.tz,
            "is_admin": user.is_admin,
            "is_owner": user.is_owner,
            "is_bot": False,
        }
    }


@method("views.publish")
async def views_publish(api: SlackApi, params: dict[str, Any]) -> dict[str, Any]:
    """A person's Home tab (no scope needed, as at Slack; the app must have its Home tab enabled)."""
    user = str(params.get("user_id", ""))
    if user not in api.workspace.users:
        raise ApiError("user_not_found")
    problem = view_problem(params.get("view"))
    if problem:
        raise ApiError(problem)
    view = {**params["view"], "id": f"V{user}", "team_id": api.workspace.team_id, "app_id": api.workspace.app_id}
    api.workspace.homes[user] = view
    return {"view": view}


TRIGGER_SECONDS = 3.0  # how long Slack accepts a trigger_id


@method("views.open")
async def views_open(api: SlackApi, params: dict[str, Any]) -> dict[str, Any]:
    """A modal for the person whose command or click gave the trigger_id: once, within 3 s, as Slack."""
    trigger = str(params.get("trigger_id", ""))
    issued = api.triggers.pop(trigger, None)
    if issued is None:
        raise ApiError("exchanged_trigger_id" if trigger in api.spent_triggers else "invalid_trigger_id")
    api.spent_triggers.add(trigger)
    team, user, given_at = issued
    if team != api.workspace.team_id:
        raise ApiError("invalid_trigger_id")
    if time.monotonic() - given_at > TRIGGER_SECONDS:
        raise ApiError("expired_trigger_id")
    problem = modal_problem(params.get("view"))
    if problem:
        raise ApiError(problem)
    view = {**params["view"], "id": f"V{secrets.token_hex(5).upper()}", "team_id": team, "app_id": api.workspace.app_id}
    api.workspace.modals[view["id"]] = {"user": user, "view": view, "errors": {}, "history": [view]}
    return {"view": view}


@method("views.update")
async def views_update(api: SlackApi, params: dict[str, Any]) -> dict[str, Any]:
    """Replace an open modal's view (the app answering after a submission); a closed one is not found."""
    opened = api.workspace.modals.get(str(params.get("view_id", "")))
    if opened is None or opened.get("closed"):
        raise ApiError("not_found")
    problem = modal_problem(params.get("view"))
    if problem:
        raise ApiError(problem)
    view = {
        **params["view"],
        "id": opened["view"]["id"],
        "team_id": api.workspace.team_id,
        "app_id": api.workspace.app_id,
    }
    opened["view"], opened["errors"] = view, {}
    opened.setdefault("history", []).append(view)
    return {"view": view}
