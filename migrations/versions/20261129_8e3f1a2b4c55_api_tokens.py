"""api_tokens: bearer tokens for /api, each belonging to one workspace, stored hashed

Revision ID: 8e3f1a2b4c55
Revises: 7d2e9a4b6c10
Create Date: 2026-11-29 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e3f1a2b4c55"
down_revision: str | None = "7d2e9a4b6c10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workspace_id", sa.Integer(), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_api_tokens_workspace_id", "api_tokens", ["workspace_id"])


def downgrade() -> None:
    op.drop_index("ix_api_tokens_workspace_id", table_name="api_tokens")
    op.drop_table("api_tokens")
