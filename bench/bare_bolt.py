"""A bare bolt app, served as ours is (starlette and uvicorn), whose `/ponto` acknowledges and answers
"ok" through the response_url: the yardstick for our acknowledgement latency.
Run: python -m bench.bare_bolt PORT SIGNING_SECRET."""

from __future__ import annotations

import sys

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def create_app(signing_secret: str) -> Starlette:
    async def authorize(**_: object) -> AuthorizeResult:  # no auth.test call: nothing to reach here
        return AuthorizeResult(enterprise_id=None, team_id="T0DEMO", bot_token="xoxb-bare", bot_user_id="U0BOT")

    bolt = AsyncApp(signing_secret=signing_secret, authorize=authorize)

    @bolt.command("/ponto")
    async def ponto(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(text="ok", response_type="ephemeral")  # as every real command answers

    handler = AsyncSlackRequestHandler(bolt)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    return Starlette(routes=[Route("/slack/events", events, methods=["POST"])])


if __name__ == "__main__":
    uvicorn.run(create_app(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
