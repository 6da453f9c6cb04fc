"""The approvals service's own read endpoints for operators: the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, model_validator
from sqlalchemy import select

from planner_shared.db.models import Approval
from planner_shared.runtime import runtime_of


class ApprovalRead(BaseModel):
    id: UUID
    workflow_id: UUID
    kind: str
    status: str
    proposal: dict[str, Any]
    proposed_value: int | float
    min_value: int | float
    max_value: int | float
    action: str | None
    decided_value: int | float | None
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime

    @model_validator(mode="after")
    def _whole_units(self) -> Self:
        """A manufacturing quantity is stored as a float with the markdown percentages;
        answered as the whole number of units it is."""
        if self.kind == "manufacturing":
            for name in ("proposed_value", "min_value", "max_value", "decided_value"):
                value = getattr(self, name)
                if isinstance(value, float) and value.is_integer():
                    setattr(self, name, int(value))
        return self


router = APIRouter(tags=["approvals"])


@router.get("/approvals", response_model=list[ApprovalRead], summary="Approvals, newest first")
async def list_approvals(
    request: Request, workflow_id: UUID | None = None, status: str | None = None
) -> list[ApprovalRead]:
    query = select(Approval).order_by(Approval.created_at.desc()).limit(500)
    if workflow_id is not None:
        query = query.where(Approval.workflow_id == workflow_id)
    if status is not None:
        query = query.where(Approval.status == status)
    async with runtime_of(request).sessionmaker() as session:
        rows = (await session.scalars(query)).all()
    return [ApprovalRead.model_validate(row, from_attributes=True) for row in rows]
