"""The approvals service's own read endpoints for operators: the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from sqlalchemy import select

from planner_shared.amounts import Amount, ApprovalAmounts
from planner_shared.db.models import Approval
from planner_shared.runtime import runtime_of


class ApprovalRead(ApprovalAmounts):
    id: UUID
    workflow_id: UUID
    kind: str
    status: str
    proposal: dict[str, Any]
    proposed_value: Amount
    min_value: Amount
    max_value: Amount
    action: str | None
    decided_value: Amount | None
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime


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
