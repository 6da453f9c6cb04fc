"""scenarios: what-ifs forked from a season, owned by the gateway

Revision ID: 0011_scenarios
Revises: 0008_buy_lines
Create Date: 2026-12-07 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011_scenarios"
down_revision: str | None = "0008_buy_lines"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scenarios",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workflow_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("levers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "weeks_in", sa.Integer(), nullable=False, comment="The weeks in when it was forked."
        ),
        sa.Column(
            "evaluation",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="The scenario, the live plan and the differences, as evaluated then.",
        ),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("adopted_by", sa.String(length=100), nullable=True),
        sa.Column("adopted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_scenarios_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenarios")),
    )
    op.create_index(op.f("ix_scenarios_workflow_id"), "scenarios", ["workflow_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_scenarios_workflow_id"), table_name="scenarios")
    op.drop_table("scenarios")
