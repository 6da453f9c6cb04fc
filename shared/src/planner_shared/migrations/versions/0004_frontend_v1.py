"""frontend contract v1: workflow id mapping and uploaded reference data

Revision ID: 0004_frontend_v1
Revises: 0003_hardening
Create Date: 2026-12-02 05:30:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_frontend_v1"
down_revision: str | None = "0003_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _workflow_key() -> sa.Column[Any]:
    return sa.Column("workflow_id", sa.Uuid(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "v1_workflows",
        sa.Column("v1_id", sa.String(length=15), nullable=False),
        sa.Column("workflow_id", sa.Uuid(), nullable=False),
        sa.Column(
            "request",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="The client's create body as received.",
        ),
        sa.Column(
            "parameters",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="Domain SeasonParameters translated from the body.",
        ),
        sa.Column("category_codes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("markdown_enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "v1_id ~ '^wf_[0-9a-f]{12}$'", name=op.f("ck_v1_workflows_v1_id_format")
        ),
        sa.PrimaryKeyConstraint("v1_id", name=op.f("pk_v1_workflows")),
        sa.UniqueConstraint("workflow_id", name=op.f("uq_v1_workflows_workflow_id")),
    )
    op.create_table(
        "reference_uploads",
        sa.Column("id", sa.Uuid(), nullable=False),
        _workflow_key(),
        sa.Column("file_type", sa.String(length=32), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("columns", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column(
            "uploaded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_uploads")),
        sa.UniqueConstraint(
            "workflow_id", "file_type", name=op.f("uq_reference_uploads_workflow_id")
        ),
    )
    op.create_index(op.f("ix_reference_uploads_workflow_id"), "reference_uploads", ["workflow_id"])
    op.create_table(
        "uploaded_store_profiles",
        _workflow_key(),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("store_name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("size_sqft", sa.Integer(), nullable=False),
        sa.Column(
            "segment", sa.String(length=64), nullable=False, comment="The file's cluster_id column."
        ),
        sa.CheckConstraint("size_sqft > 0", name=op.f("ck_uploaded_store_profiles_size_positive")),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_uploaded_store_profiles_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workflow_id", "store_id", name=op.f("pk_uploaded_store_profiles")),
    )
    op.create_table(
        "uploaded_dc_inventory",
        _workflow_key(),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("dc_location", sa.String(length=64), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("available_units", sa.Integer(), nullable=False),
        sa.Column("reserved_units", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "available_units >= 0", name=op.f("ck_uploaded_dc_inventory_available_non_negative")
        ),
        sa.CheckConstraint(
            "reserved_units >= 0", name=op.f("ck_uploaded_dc_inventory_reserved_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_uploaded_dc_inventory_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workflow_id", "sku", "dc_location", name=op.f("pk_uploaded_dc_inventory")
        ),
    )
    op.create_table(
        "uploaded_lead_times",
        _workflow_key(),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("dc_location", sa.String(length=64), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "lead_time_days >= 0", name=op.f("ck_uploaded_lead_times_lead_time_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_uploaded_lead_times_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workflow_id", "store_id", "dc_location", name=op.f("pk_uploaded_lead_times")
        ),
    )
    op.create_table(
        "uploaded_safety_stock",
        _workflow_key(),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("safety_stock_units", sa.Integer(), nullable=False),
        sa.Column("reorder_point", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "safety_stock_units >= 0",
            name=op.f("ck_uploaded_safety_stock_safety_stock_non_negative"),
        ),
        sa.CheckConstraint(
            "reorder_point >= 0", name=op.f("ck_uploaded_safety_stock_reorder_point_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_uploaded_safety_stock_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workflow_id", "store_id", name=op.f("pk_uploaded_safety_stock")),
    )
    op.create_table(
        "uploaded_elasticities",
        _workflow_key(),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("elasticity", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "elasticity > 0", name=op.f("ck_uploaded_elasticities_elasticity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_uploaded_elasticities_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workflow_id", "category_id", name=op.f("pk_uploaded_elasticities")
        ),
    )
    op.create_table(
        "uploaded_markdown_history",
        _workflow_key(),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("week", sa.Integer(), nullable=False),
        sa.Column("markdown_pct", sa.Float(), nullable=False),
        sa.Column("sell_through_pct", sa.Float(), nullable=False),
        sa.Column("demand_lift_pct", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(
            "workflow_id", "row_number", name=op.f("pk_uploaded_markdown_history")
        ),
    )


def downgrade() -> None:
    for table in (
        "uploaded_markdown_history",
        "uploaded_elasticities",
        "uploaded_safety_stock",
        "uploaded_lead_times",
        "uploaded_dc_inventory",
        "uploaded_store_profiles",
        "reference_uploads",
        "v1_workflows",
    ):
        op.drop_table(table)
