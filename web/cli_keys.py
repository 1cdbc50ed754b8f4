"""`ponto-slack keys rotate`: a new Fernet key first, every stored secret re-encrypted with it."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy import MetaData, Table, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import TokenCipher, create_engine
from storage.migrate import upgrade
from storage.models import OAuthState, PontoConnection

from .settings import ConfigError, Settings, generated_key_file, token_keys

SLACK_TABLES = ("slack_bots", "slack_installations")  # slack_sdk's store; our wrapper prefixes "fernet:"
SLACK_SECRET_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token", "incoming_webhook_url")
PREFIX = "fernet:"


def rotate(args: argparse.Namespace) -> int:
    """Re-encrypt with a new key; the old keys stay readable until every process runs with the new list."""
    settings = Settings.from_env()
    try:
        current = token_keys(settings)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    upgrade(settings.database_url)
    keys = [TokenCipher.generate_key(), *[k.strip() for k in current.split(",") if k.strip()]]
    cipher = TokenCipher(keys)
    counts = asyncio.run(_rotate_all(create_engine(settings.database_url), cipher))
    new_setting = ",".join(keys)
    database = settings.sqlite_path()
    if settings.token_encryption_key is None and database is not None:
        key_file = generated_key_file(settings, database)
        if not key_file.exists():
            key_file = database.with_name(database.name + ".key")  # an earlier version's place
        key_file.write_text(new_setting + "\n", encoding="ascii")
        print(f"re-encrypted {counts} stored secrets; the key file {key_file} now lists the new key first")
    else:
        print(f"re-encrypted {counts} stored secrets. Set, in every process, then restart:")
        print(f"TOKEN_ENCRYPTION_KEY={new_setting}")
        print("Once every process runs with it, the old keys (after the first) may be dropped.")
    return 0


async def _rotate_all(engine: AsyncEngine, cipher: TokenCipher) -> int:
    count = 0
    async with engine.begin() as connection:
        for column in (PontoConnection.access_token_enc, PontoConnection.refresh_token_enc):
            rows = (await connection.execute(select(PontoConnection.id, column).where(column.is_not(None)))).all()
            for row_id, value in rows:
                new = cipher.rotate(str(value))
                await connection.execute(
                    update(PontoConnection).where(PontoConnection.id == row_id).values({column: new})
                )
                count += 1
        rows = (await connection.execute(select(OAuthState.id, OAuthState.code_verifier_enc))).all()
        for row_id, value in rows:
            await connection.execute(
                update(OAuthState).where(OAuthState.id == row_id).values(code_verifier_enc=cipher.rotate(value))
            )
            count += 1
        count += await connection.run_sync(_rotate_slack, cipher)
    await engine.dispose()
    return count


def _rotate_slack(connection: Connection, cipher: TokenCipher) -> int:
    """slack_sdk's installation tables, when the multi-workspace install created them."""
    present = set(inspect(connection).get_table_names())
    count = 0
    for name in SLACK_TABLES:
        if name not in present:
            continue
        table = Table(name, MetaData(), autoload_with=connection)
        columns = [c for c in SLACK_SECRET_COLUMNS if c in table.c]
        for row in connection.execute(select(table.c.id, *[table.c[c] for c in columns])).all():
            values = {
                c: PREFIX + cipher.rotate(v[len(PREFIX) :])
                for c, v in zip(columns, row[1:], strict=True)
                if isinstance(v, str) and v.startswith(PREFIX)
            }
            if values:
                connection.execute(update(table).where(table.c.id == row[0]).values(values))
                count += len(values)
    return count
