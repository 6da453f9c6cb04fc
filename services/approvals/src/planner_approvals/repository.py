"""The approvals table, the service's own: one approval per workflow and kind."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_approvals.decisions import bounds, proposed_value
from planner_shared.db.models import Approval, Workflow
from planner_shared.events import (
    ApprovalRequestedPayload,
    DecisionSubmittedPayload,
    ManufacturingProposal,
    MarkdownProposal,
    TransferProposal,
)

PENDING = "pending"
DECIDED = "decided"
SUPERSEDED = "superseded"


async def lock_approval(session: AsyncSession, workflow_id: object, kind: str) -> None:
    """Serialise the handlers that may open a workflow's approval of `kind` (the request and
    an early decision), until the transaction ends: a row lock cannot, the row may not exist."""
    await session.execute(
        select(
            func.pg_advisory_xact_lock(func.hashtextextended(f"approval:{workflow_id}:{kind}", 0))
        )
    )


async def find_approval(session: AsyncSession, workflow_id: object, kind: str) -> Approval | None:
    """The workflow's open (pending or decided) approval of `kind`; superseded ones are not."""
    approval: Approval | None = await session.scalar(
        select(Approval)
        .where(
            Approval.workflow_id == workflow_id,
            Approval.kind == kind,
            Approval.status != SUPERSEDED,
        )
        .with_for_update()
    )
    return approval


async def replace_pending(
    session: AsyncSession,
    pending: Approval,
    proposal: ManufacturingProposal | MarkdownProposal,
    request_event_id: UUID,
    reason: str,
    at: datetime,
) -> Approval:
    """A new proposal in place of a pending one: the old approval is kept, marked superseded
    with the reason (it can no longer be decided), and a new one is pending."""
    pending.status = SUPERSEDED
    pending.reason = reason
    pending.superseded_at = at
    # Flushed first: one open approval per workflow and kind (a partial unique index).
    await session.flush()
    approval = await add_approval(session, pending.workflow_id, proposal, request_event_id)
    pending.superseded_by = approval.id
    await session.flush()
    return approval


async def add_approval(
    session: AsyncSession,
    workflow_id: UUID | None,
    proposal: ManufacturingProposal | MarkdownProposal | TransferProposal,
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


def supersede(approval: Approval, proposal: TransferProposal, request_event_id: UUID) -> None:
    """A newer week's transfer proposal takes the workflow's transfers approval over: pending
    again, the older proposal (decided or not) kept in the forecast service's `transfers`."""
    low, high = bounds(proposal)
    approval.status = PENDING
    approval.proposal = proposal.model_dump(mode="json")
    approval.proposed_value = proposed_value(proposal)
    approval.min_value, approval.max_value = low, high
    approval.request_event_id = request_event_id
    approval.action = approval.decided_value = approval.reason = None
    approval.decided_by = approval.decided_at = None


def record_decision(
    approval: Approval,
    decision: DecisionSubmittedPayload,
    value: float,
    at: datetime,
    *,
    lines: dict[str, float] | None = None,
) -> None:
    approval.status = DECIDED
    approval.action = decision.action.value
    approval.decided_value = value
    approval.decided_lines = lines or None
    approval.reason = decision.reason
    approval.decided_by = decision.decided_by
    approval.decided_at = at


async def awaited_proposal(
    session: AsyncSession, workflow_id: object, kind: str
) -> tuple[ManufacturingProposal | MarkdownProposal | TransferProposal, UUID | None] | None:
    """The proposal the workflow waits on for `kind`, and the id of its `approval.requested`.

    The orchestrator writes it in the transaction that moves the workflow to awaiting, so a
    decision sent once the state reads awaiting finds it even when the request itself is
    still on its way (read only: the workflow is the orchestrator's)."""
    row = (
        await session.execute(
            select(Workflow.state, Workflow.pending_input).where(Workflow.id == workflow_id)
        )
    ).one_or_none()
    if row is None:
        return None
    state, pending = row
    if state != f"awaiting_{kind}_approval" or not pending or pending.get("kind") != kind:
        return None
    proposal = ApprovalRequestedPayload.model_validate({"proposal": pending["proposal"]}).proposal
    request_id = pending.get("request_event_id")
    return proposal, UUID(request_id) if request_id else None
