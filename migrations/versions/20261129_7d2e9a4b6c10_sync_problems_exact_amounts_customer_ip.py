"""Sync problems per account, exact amounts beyond the currency's minor unit, the consenting person's IP

Revision ID: 7d2e9a4b6c10
Revises: 5b1f0c2d7e41
Create Date: 2026-11-29 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d2e9a4b6c10"
down_revision: str | None = "5b1f0c2d7e41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bank_accounts") as batch:
        batch.add_column(sa.Column("sync_problem", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("sync_problem_since", sa.DateTime(), nullable=True))
    with op.batch_alter_table("bank_transactions") as batch:
        batch.add_column(sa.Column("amount_exact", sa.String(length=40), nullable=True))
    with op.batch_alter_table("ponto_connections") as batch:
        batch.add_column(sa.Column("customer_ip", sa.String(length=45), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ponto_connections") as batch:
        batch.drop_column("customer_ip")
    with op.batch_alter_table("bank_transactions") as batch:
        batch.drop_column("amount_exact")
    with op.batch_alter_table("bank_accounts") as batch:
        batch.drop_column("sync_problem_since")
        batch.drop_column("sync_problem")
