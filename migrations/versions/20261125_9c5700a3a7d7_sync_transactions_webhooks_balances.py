"""sync, transactions, webhooks, balances

Revision ID: 9c5700a3a7d7
Revises: 3a9521711ea1
Create Date: 2026-11-25 22:03:25.263447
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c5700a3a7d7"
down_revision: str | None = "3a9521711ea1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=128), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=True),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("synchronization_id", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_webhook_events_event_id")),
    )
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_events_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_webhook_events_processed_at"), ["processed_at"], unique=False)

    op.create_table(
        "sync_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("next_sync_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("initial_import_done", sa.Boolean(), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["ponto_connections.id"],
            name=op.f("fk_sync_states_connection_id_ponto_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_states")),
        sa.UniqueConstraint("connection_id", name=op.f("uq_sync_states_connection_id")),
    )
    op.create_table(
        "balance_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("current_balance", sa.BigInteger(), nullable=True),
        sa.Column("available_balance", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["bank_accounts.id"],
            name=op.f("fk_balance_snapshots_account_id_bank_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_balance_snapshots_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_balance_snapshots")),
    )
    with op.batch_alter_table("balance_snapshots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_balance_snapshots_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_balance_snapshots_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "bank_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("ponto_id", sa.String(length=64), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("execution_date", sa.Date(), nullable=True),
        sa.Column("counterpart_name", sa.String(length=255), nullable=True),
        sa.Column("counterpart_reference", sa.String(length=64), nullable=True),
        sa.Column("remittance_information", sa.Text(), nullable=True),
        sa.Column("remittance_information_type", sa.String(length=16), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("end_to_end_id", sa.String(length=64), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["bank_accounts.id"],
            name=op.f("fk_bank_transactions_account_id_bank_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_bank_transactions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_transactions")),
        sa.UniqueConstraint("account_id", "ponto_id", name=op.f("uq_bank_transactions_account_id")),
    )
    with op.batch_alter_table("bank_transactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_transactions_execution_date"), ["execution_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_bank_transactions_workspace_id"), ["workspace_id"], unique=False)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claims", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slack_paused_reason", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("slack_paused_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_summary_on", sa.Date(), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("last_summary_on")
        batch_op.drop_column("slack_paused_at")
        batch_op.drop_column("slack_paused_reason")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("claims")

    with op.batch_alter_table("bank_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_transactions_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_bank_transactions_execution_date"))

    op.drop_table("bank_transactions")
    with op.batch_alter_table("balance_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_balance_snapshots_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_balance_snapshots_account_id"))

    op.drop_table("balance_snapshots")
    op.drop_table("sync_states")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_events_processed_at"))
        batch_op.drop_index(batch_op.f("ix_webhook_events_organization_id"))

    op.drop_table("webhook_events")
