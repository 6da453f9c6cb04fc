"""The approvals table, the service's own: one approval per workflow and kind."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_approvals.decisions import bounds, proposed_value
from planner_shared.db.models import Approval
from planner_shared.events import DecisionSubmittedPayload, ManufacturingProposal, MarkdownProposal

PENDING = "pending"
DECIDED = "decided"


async def find_approval(session: AsyncSession, workflow_id: object, kind: str) -> Approval | None:
    approval: Approval | None = await session.scalar(
        select(Approval)
        .where(Approval.workflow_id == workflow_id, Approval.kind == kind)
        .with_for_update()
    )
    return approval


async def add_approval(
    session: AsyncSession,
    workflow_id: UUID | None,
    proposal: ManufacturingProposal | MarkdownProposal,
    request_event_id: UUID,
) -> Approval:
    """A pending approval of `proposal`, with the bounds an approver may decide within."""
    low, high = bounds(proposal)
    approval = Approval(
        workflow_id=workflow_id,
        kind=proposal.kind,
        status=PENDING,
        proposal=proposal.model_dump(mode="json"),
        proposed_value=proposed_value(proposal),
        min_value=low,
        max_value=high,
        request_event_id=request_event_id,
    )
    session.add(approval)
    await session.flush()
    return approval


def record_decision(
    approval: Approval, decision: DecisionSubmittedPayload, value: float, at: datetime
) -> None:
    approval.status = DECIDED
    approval.action = decision.action.value
    approval.decided_value = value
    approval.reason = decision.reason
    approval.decided_by = decision.decided_by
    approval.decided_at = at
