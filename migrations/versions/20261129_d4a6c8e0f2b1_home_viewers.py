"""home_viewers: who opened the Home tab, and what it last showed them

Revision ID: d4a6c8e0f2b1
Revises: c2b8e5f17a90
Create Date: 2026-11-29 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4a6c8e0f2b1"
down_revision: str | None = "c2b8e5f17a90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "home_viewers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "workspace_id",
            sa.Integer(),
            sa.ForeignKey("workspaces.id", name="fk_home_viewers_workspace_id_workspaces", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shown_version", sa.String(length=128), nullable=True),
        sa.UniqueConstraint("workspace_id", "user_id", name="uq_home_viewers_workspace_id"),
    )


def downgrade() -> None:
    op.drop_table("home_viewers")
