"""oauth_states.channel_note: what the person must still do about the finance channel, kept in view after
the consent link's message is replaced

Revision ID: e5b7d9f1a3c2
Revises: d4a6c8e0f2b1
Create Date: 2026-11-29 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5b7d9f1a3c2"
down_revision: str | None = "d4a6c8e0f2b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("oauth_states", sa.Column("channel_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("oauth_states") as batch:
        batch.drop_column("channel_note")
