"""Tables of the frontend contract v1 (`/api/v1` in the gateway) and of the reference data its
uploads bring, which planning reads.

`v1_workflows` maps the contract's `wf_<12 hex>` ids to our workflow UUIDs: the hex is
random and stored (unique), never cut from the UUID. A v1 workflow is created `pending`: the
row holds the domain parameters translated from the client's body, and the domain workflow
(with the same `workflow_id`) is created when the client calls execute.

The `uploaded_*` tables hold the rows of an accepted upload of one workflow (a newer upload of
the same file type replaces them). The forecast service reads them when it plans that
workflow: store profiles feed the store clustering, DC inventory the manufacturing quantity's
stock on hand, safety stock the per-store safety stock of the order and the allocation, lead
times the order's DC date and the replenishment's timing; the agents service reads
elasticities and the markdown history (its demand lift per markdown point) for the markdown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from planner_shared.db.base import Base, UUIDKey


class V1Workflow(Base):
    __tablename__ = "v1_workflows"

    v1_id: Mapped[str] = mapped_column(String(15), primary_key=True)
    # No foreign key: the domain workflow is created only on execute.
    workflow_id: Mapped[UUID] = mapped_column(unique=True)
    request: Mapped[dict[str, Any] | None] = mapped_column(
        JSONB, comment="The client's create body as received."
    )
    parameters: Mapped[dict[str, Any] | None] = mapped_column(
        JSONB, comment="Domain SeasonParameters translated from the body."
    )
    category_codes: Mapped[list[str] | None] = mapped_column(JSONB)
    markdown_enabled: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    executed_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint("v1_id ~ '^wf_[0-9a-f]{12}$'", name="v1_id_format"),)


class ReferenceUpload(UUIDKey, Base):
    """One accepted upload of reference data (the newest per workflow and file type)."""

    __tablename__ = "reference_uploads"

    workflow_id: Mapped[UUID] = mapped_column(index=True)
    file_type: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int]
    row_count: Mapped[int]
    columns: Mapped[list[str]] = mapped_column(JSONB)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (UniqueConstraint("workflow_id", "file_type"),)


class UploadedStoreProfile(Base):
    __tablename__ = "uploaded_store_profiles"

    workflow_id: Mapped[UUID] = mapped_column(primary_key=True)
    store_id: Mapped[UUID] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True
    )
    store_name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(64))
    size_sqft: Mapped[int] = mapped_column(Integer)
    segment: Mapped[str] = mapped_column(String(64), comment="The file's cluster_id column.")

    __table_args__ = (CheckConstraint("size_sqft > 0", name="size_positive"),)


class UploadedDcInventory(Base):
    __tablename__ = "uploaded_dc_inventory"

    workflow_id: Mapped[UUID] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    dc_location: Mapped[str] = mapped_column(String(64), primary_key=True)
    category_id: Mapped[UUID] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    available_units: Mapped[int]
    reserved_units: Mapped[int]

    __table_args__ = (
        CheckConstraint("available_units >= 0", name="available_non_negative"),
        CheckConstraint("reserved_units >= 0", name="reserved_non_negative"),
    )


class UploadedLeadTime(Base):
    __tablename__ = "uploaded_lead_times"

    workflow_id: Mapped[UUID] = mapped_column(primary_key=True)
    store_id: Mapped[UUID] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True
    )
    dc_location: Mapped[str] = mapped_column(String(64), primary_key=True)
    lead_time_days: Mapped[int]

    __table_args__ = (CheckConstraint("lead_time_days >= 0", name="lead_time_non_negative"),)


class UploadedSafetyStock(Base):
    __tablename__ = "uploaded_safety_stock"

    workflow_id: Mapped[UUID] = mapped_column(primary_key=True)
    store_id: Mapped[UUID] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True
    )
    safety_stock_units: Mapped[int]
    reorder_point: Mapped[int]

    __table_args__ = (
        CheckConstraint("safety_stock_units >= 0", name="safety_stock_non_negative"),
        CheckConstraint("reorder_point >= 0", name="reorder_point_non_negative"),
    )


class UploadedElasticity(Base):
    __tablename__ = "uploaded_elasticities"

    workflow_id: Mapped[UUID] = mapped_column(primary_key=True)
    category_id: Mapped[UUID] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True
    )
    elasticity: Mapped[float]

    __table_args__ = (CheckConstraint("elasticity > 0", name="elasticity_positive"),)


class UploadedMarkdownHistory(Base):
    __tablename__ = "uploaded_markdown_history"

    workflow_id: Mapped[UUID] = mapped_column(primary_key=True)
    row_number: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[int]
    markdown_pct: Mapped[float]
    sell_through_pct: Mapped[float]
    demand_lift_pct: Mapped[float]
