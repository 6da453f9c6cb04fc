"""forecast overrides: a planner's adjustments kept beside the statistical forecast

Revision ID: 0012_overrides
Revises: 0009_markdown_lines
Create Date: 2026-12-07 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_overrides"
down_revision: str | None = '0009_markdown_lines'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forecast_overrides",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workflow_id", sa.Uuid(), nullable=False),
        sa.Column(
            "scope",
            sa.String(length=16),
            nullable=False,
            comment="'category', 'cluster' or 'store'.",
        ),
        sa.Column(
            "category_id",
            sa.Uuid(),
            nullable=True,
            comment="Null: every category of the cluster or store.",
        ),
        sa.Column(
            "cluster_label", sa.Integer(), nullable=True, comment="The season's cluster label."
        ),
        sa.Column("store_id", sa.Uuid(), nullable=True),
        sa.Column(
            "weeks",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Season weeks (1-based) it adjusts.",
        ),
        sa.Column("percent", sa.Float(), nullable=True, comment="+10 is 10 % more demand."),
        sa.Column("units", sa.Float(), nullable=True, comment="Units added to each chosen week."),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "source",
            sa.String(length=16),
            nullable=False,
            comment="'planner' (typed) or 'brief' (a proposal of the brief accepted).",
        ),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("withdrawn_by", sa.String(length=100), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(percent IS NULL) <> (units IS NULL)",
            name=op.f("ck_forecast_overrides_percent_or_units"),
        ),
        sa.CheckConstraint(
            "scope IN ('category', 'cluster', 'store')",
            name=op.f("ck_forecast_overrides_scope_known"),
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_forecast_overrides_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_forecast_overrides_category_id_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_forecast_overrides_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_overrides")),
    )
    op.create_index(
        op.f("ix_forecast_overrides_workflow_id"),
        "forecast_overrides",
        ["workflow_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_forecast_overrides_workflow_id"), table_name="forecast_overrides")
    op.drop_table("forecast_overrides")
