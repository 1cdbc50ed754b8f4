"""Persistence: SQLAlchemy 2 async models, repository functions and Alembic migrations.

Never imports Slack, Starlette, bot, web or worker. Repository functions take the session;
the caller owns the transaction (`async with sessions.begin() as session:`).
"""

from .crypto import TokenCipher, TokenDecryptionError
from .db import create_engine, make_sessionmaker
from .models import Base

__all__ = ["Base", "TokenCipher", "TokenDecryptionError", "create_engine", "make_sessionmaker"]
