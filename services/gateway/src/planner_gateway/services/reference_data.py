"""Reference data a season's planning reads, uploaded for one workflow.

Each kind is stored whole: an upload replaces the workflow's earlier rows of its kind (never
adds to them), and `reference_uploads` keeps one record per kind, the newest, with who sent
which file. The caller has checked the rows against what we hold (stores, categories) and
translated them into these records; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.db.frontend_v1 import (
    ReferenceUpload,
    UploadedDcInventory,
    UploadedElasticity,
    UploadedLeadTime,
    UploadedMarkdownHistory,
    UploadedSafetyStock,
    UploadedStoreProfile,
)


@dataclass(frozen=True)
class StoreProfile:
    store_id: UUID
    store_name: str
    region: str
    size_sqft: int
    segment: str


@dataclass(frozen=True)
class DcStock:
    sku: str
    dc_location: str
    category_id: UUID
    available_units: int
    reserved_units: int


@dataclass(frozen=True)
class LeadTime:
    store_id: UUID
    dc_location: str
    lead_time_days: int


@dataclass(frozen=True)
class SafetyStock:
    store_id: UUID
    safety_stock_units: int
    reorder_point: int


@dataclass(frozen=True)
class Elasticity:
    category_id: UUID
    elasticity: float


@dataclass(frozen=True)
class MarkdownOutcome:
    """One markdown of the history; the three shares as fractions."""

    row_number: int
    week: int
    markdown_pct: float
    sell_through_pct: float
    demand_lift_pct: float


Record = StoreProfile | DcStock | LeadTime | SafetyStock | Elasticity | MarkdownOutcome
TABLES: dict[type[Any], Any] = {
    StoreProfile: UploadedStoreProfile,
    DcStock: UploadedDcInventory,
    LeadTime: UploadedLeadTime,
    SafetyStock: UploadedSafetyStock,
    Elasticity: UploadedElasticity,
    MarkdownOutcome: UploadedMarkdownHistory,
}


async def replace(session: AsyncSession, workflow_id: UUID, records: Sequence[Record]) -> None:
    """The workflow's rows of the records' kind become these (at least one record)."""
    table = TABLES[type(records[0])]
    await session.execute(delete(table).where(table.workflow_id == workflow_id))
    session.add_all(table(workflow_id=workflow_id, **asdict(r)) for r in records)


@dataclass(frozen=True)
class UploadRecord:
    """Which file gave a workflow its rows of one kind."""

    file_type: str
    file_name: str
    size_bytes: int
    row_count: int
    columns: list[str]
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


async def record_upload(session: AsyncSession, workflow_id: UUID, upload: UploadRecord) -> None:
    values = asdict(upload) | {"file_name": upload.file_name[:255]}
    await session.execute(
        insert(ReferenceUpload)
        .values(workflow_id=workflow_id, **values)
        .on_conflict_do_update(
            index_elements=["workflow_id", "file_type"],
            set_={k: v for k, v in values.items() if k != "file_type"},
        )
    )
