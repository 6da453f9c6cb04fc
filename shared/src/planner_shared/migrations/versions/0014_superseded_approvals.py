"""an approval superseded by a new proposal: one pending or decided approval per workflow and
kind, the superseded ones kept beside it

Revision ID: 0014_superseded_approvals
Revises: 0010_transfers
Create Date: 2026-12-07 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_superseded_approvals"
down_revision: str | None = "0010_transfers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("uq_approvals_workflow_id_kind", "approvals", type_="unique")
    op.create_index(
        "uq_approvals_workflow_id_kind_open",
        "approvals",
        ["workflow_id", "kind"],
        unique=True,
        postgresql_where=sa.text("status <> 'superseded'"),
    )
    op.add_column(
        "approvals",
        sa.Column(
            "superseded_by",
            sa.Uuid(),
            nullable=True,
            comment="The approval of the proposal that replaced this one.",
        ),
    )
    op.add_column(
        "approvals", sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.alter_column(
        "approvals",
        "status",
        existing_type=sa.String(length=16),
        comment="'pending', 'decided' or 'superseded' (reason: why).",
    )


def downgrade() -> None:
    op.execute("DELETE FROM approvals WHERE status = 'superseded'")
    op.alter_column(
        "approvals",
        "status",
        existing_type=sa.String(length=16),
        comment="'pending' or 'decided'.",
    )
    op.drop_column("approvals", "superseded_at")
    op.drop_column("approvals", "superseded_by")
    op.drop_index("uq_approvals_workflow_id_kind_open", table_name="approvals")
    op.create_unique_constraint(
        "uq_approvals_workflow_id_kind", "approvals", ["workflow_id", "kind"]
    )
