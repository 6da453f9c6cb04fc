"""stock and money: category cost, salvage and demand elasticity; stock adjustments

Revision ID: 0006_stock_money
Revises: 0004_frontend_v1
Create Date: 2026-12-07 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_stock_money"
down_revision: str | None = "0004_frontend_v1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("categories", sa.Column("unit_cost", sa.Numeric(10, 2), nullable=True))
    op.add_column("categories", sa.Column("salvage_value", sa.Numeric(10, 2), nullable=True))
    op.add_column(
        "categories",
        sa.Column(
            "demand_elasticity",
            sa.Numeric(6, 3),
            nullable=True,
            comment="The demand's price elasticity (negative: -2 means a 1% lower price sells "
            "2% more); not the markdown rule's points per point of gap.",
        ),
    )
    op.create_check_constraint(
        op.f("ck_categories_cost_non_negative"), "categories", "unit_cost IS NULL OR unit_cost >= 0"
    )
    op.create_check_constraint(
        op.f("ck_categories_salvage_non_negative"),
        "categories",
        "salvage_value IS NULL OR salvage_value >= 0",
    )
    op.create_table(
        "stock_adjustments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("workflow_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("week_number", sa.Integer(), nullable=False),
        sa.Column(
            "units",
            sa.Integer(),
            nullable=False,
            comment="Positive: units found; negative: units missing.",
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "source",
            sa.String(length=32),
            nullable=False,
            comment="'on_hand' (a count in an upload) or 'manual'.",
        ),
        sa.Column("upload_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_stock_adjustments_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_stock_adjustments_store_id_stores")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_stock_adjustments_category_id_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["actuals_uploads.id"],
            name=op.f("fk_stock_adjustments_upload_id_actuals_uploads"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_adjustments")),
    )
    op.create_index(op.f("ix_stock_adjustments_workflow_id"), "stock_adjustments", ["workflow_id"])
    op.create_index(
        "ix_stock_adjustments_workflow_week", "stock_adjustments", ["workflow_id", "week_number"]
    )


def downgrade() -> None:
    op.drop_index("ix_stock_adjustments_workflow_week", table_name="stock_adjustments")
    op.drop_index(op.f("ix_stock_adjustments_workflow_id"), table_name="stock_adjustments")
    op.drop_table("stock_adjustments")
    op.drop_constraint(op.f("ck_categories_salvage_non_negative"), "categories", type_="check")
    op.drop_constraint(op.f("ck_categories_cost_non_negative"), "categories", type_="check")
    op.drop_column("categories", "demand_elasticity")
    op.drop_column("categories", "salvage_value")
    op.drop_column("categories", "unit_cost")
