"""matches.paid_outbox_id: the "marked paid" message that Undo edits in place

Revision ID: 5b1f0c2d7e41
Revises: e65d6c459387
Create Date: 2026-11-29 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b1f0c2d7e41"
down_revision: str | None = "e65d6c459387"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("matches") as batch:
        batch.add_column(sa.Column("paid_outbox_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("matches") as batch:
        batch.drop_column("paid_outbox_id")
