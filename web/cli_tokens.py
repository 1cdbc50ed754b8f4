"""`ponto-slack tokens create --team T…`: a bearer token for /api that reaches that workspace only."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from storage import api_tokens, create_engine, make_sessionmaker, workspaces
from storage.migrate import upgrade

from .settings import Settings, private_database_file


def create(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    private_database_file(settings)
    upgrade(settings.database_url)
    token = asyncio.run(_create(settings.database_url, args.team, args.label))
    if token is None:
        print(f"error: no workspace {args.team}: run /ponto activate in that Slack workspace first", file=sys.stderr)
        return 1
    print(token)
    print(
        f"(shown once: only its hash is stored; it reads and writes the invoices of {args.team} only)", file=sys.stderr
    )
    return 0


async def _create(database_url: str, team_id: str, label: str | None) -> str | None:
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            workspace = await workspaces.get_by_team(session, team_id)
            if workspace is None:
                return None
            return await api_tokens.create(session, workspace.id, label=label, now=datetime.now(UTC))
    finally:
        await engine.dispose()
