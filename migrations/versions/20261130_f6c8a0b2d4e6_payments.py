"""payments and payment_items (issue 15); bank_accounts' payment flags; invoices' BIC and payment hold

Revision ID: f6c8a0b2d4e6
Revises: e5b7d9f1a3c2
Create Date: 2026-11-30 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f6c8a0b2d4e6"
down_revision: str | None = "e5b7d9f1a3c2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bank_accounts") as batch:
        batch.add_column(sa.Column("payments_enabled", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("bulk_payments_enabled", sa.Boolean(), nullable=True))
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("counterparty_bic", sa.String(length=11), nullable=True))
        batch.add_column(sa.Column("paying_payment_id", sa.Integer(), nullable=True))
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "workspace_id",
            sa.Integer(),
            sa.ForeignKey("workspaces.id", name="fk_payments_workspace_id_workspaces", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("bank_accounts.id", name="fk_payments_account_id_bank_accounts", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("bulk", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("ponto_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ponto_status", sa.String(length=64), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("requested_execution_date", sa.Date(), nullable=True),
        sa.Column("reference", sa.String(length=140), nullable=True),
        sa.Column("redirect_link", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("idempotency_key", name="uq_payments_idempotency_key"),
    )
    op.create_index("ix_payments_workspace_id", "payments", ["workspace_id"])
    op.create_index("ix_payments_status", "payments", ["status"])
    op.create_index("ix_payments_next_check_at", "payments", ["next_check_at"])
    op.create_table(
        "payment_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "payment_id",
            sa.Integer(),
            sa.ForeignKey("payments.id", name="fk_payment_items_payment_id_payments", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "invoice_id",
            sa.Integer(),
            sa.ForeignKey("invoices.id", name="fk_payment_items_invoice_id_invoices", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("creditor_name", sa.String(length=60), nullable=False),
        sa.Column("creditor_iban", sa.String(length=34), nullable=False),
        sa.Column("creditor_bic", sa.String(length=11), nullable=True),
        sa.Column("remittance", sa.String(length=140), nullable=True),
        sa.Column("remittance_type", sa.String(length=16), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=False),
    )
    op.create_index("ix_payment_items_payment_id", "payment_items", ["payment_id"])
    op.create_index("ix_payment_items_invoice_id", "payment_items", ["invoice_id"])


def downgrade() -> None:
    op.drop_table("payment_items")
    op.drop_table("payments")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("paying_payment_id")
        batch.drop_column("counterparty_bic")
    with op.batch_alter_table("bank_accounts") as batch:
        batch.drop_column("bulk_payments_enabled")
        batch.drop_column("payments_enabled")
