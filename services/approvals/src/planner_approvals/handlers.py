"""Approvals handlers: open an approval when an agent asks, apply a human's decision once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_approvals.decisions import (
    DecisionError,
    bounds,
    decided_value,
    number,
    proposed_value,
)
from planner_shared.bus.router import EventRouter, MessageContext
from planner_shared.db.models import Approval
from planner_shared.events import (
    ApprovalDecided,
    ApprovalDecidedPayload,
    ApprovalKind,
    ApprovalPending,
    ApprovalPendingPayload,
    ApprovalRequested,
    DecisionRefused,
    DecisionRefusedPayload,
    DecisionSubmitted,
)

PENDING = "pending"
DECIDED = "decided"


async def find_approval(session: AsyncSession, workflow_id: object, kind: str) -> Approval | None:
    approval: Approval | None = await session.scalar(
        select(Approval)
        .where(Approval.workflow_id == workflow_id, Approval.kind == kind)
        .with_for_update()
    )
    return approval


async def open_approval(event: ApprovalRequested, ctx: MessageContext) -> None:
    proposal = event.payload.proposal
    existing = await find_approval(ctx.session, event.workflow_id, proposal.kind)
    if existing is not None:
        # One approval per workflow and kind: a repeated request re-announces the open one
        # (the planner may have missed it) instead of creating a second.
        if existing.status == PENDING:
            ctx.emit(
                event.caused(
                    ApprovalPending,
                    ApprovalPendingPayload(approval_id=existing.id, proposal=proposal),
                    ctx.producer,
                )
            )
        return
    low, high = bounds(proposal)
    approval = Approval(
        workflow_id=event.workflow_id,
        kind=proposal.kind,
        status=PENDING,
        proposal=proposal.model_dump(mode="json"),
        proposed_value=proposed_value(proposal),
        min_value=low,
        max_value=high,
        request_event_id=event.event_id,
    )
    ctx.session.add(approval)
    await ctx.session.flush()
    ctx.emit(
        event.caused(
            ApprovalPending,
            ApprovalPendingPayload(approval_id=approval.id, proposal=proposal),
            ctx.producer,
        )
    )


def _refuse(event: DecisionSubmitted, ctx: MessageContext, error: DecisionError) -> None:
    ctx.emit(
        event.caused(
            DecisionRefused,
            DecisionRefusedPayload(
                kind=event.payload.kind, reason=error.reason, status_code=error.status_code
            ),
            ctx.producer,
        )
    )


async def apply_decision(event: DecisionSubmitted, ctx: MessageContext) -> None:
    decision = event.payload
    kind = decision.kind
    approval = await find_approval(ctx.session, event.workflow_id, kind.value)
    if approval is None:
        return _refuse(
            event,
            ctx,
            DecisionError(404, f"no {kind.value} approval is waiting for this workflow"),
        )
    if approval.status == DECIDED:
        return _refuse(
            event,
            ctx,
            DecisionError(
                409,
                f"this {kind.value} approval was already decided by {approval.decided_by} "
                f"at {approval.decided_at:%Y-%m-%d %H:%M} UTC ({approval.action}, "
                f"{number(approval.decided_value or 0)})",
            ),
        )
    proposal = ApprovalPendingPayload.model_validate(
        {"approval_id": approval.id, "proposal": approval.proposal}
    ).proposal
    try:
        value = decided_value(proposal, decision)
    except DecisionError as error:
        return _refuse(event, ctx, error)
    now = datetime.now(UTC)
    approval.status = DECIDED
    approval.action = decision.action.value
    approval.decided_value = value
    approval.reason = decision.reason
    approval.decided_by = decision.decided_by
    approval.decided_at = now
    ctx.emit(
        event.caused(
            ApprovalDecided,
            ApprovalDecidedPayload(
                approval_id=approval.id,
                kind=ApprovalKind(kind),
                action=decision.action,
                proposed_value=approval.proposed_value,
                decided_value=value,
                reason=decision.reason,
                decided_by=decision.decided_by,
                decided_at=now,
            ),
            ctx.producer,
        )
    )
    return None


def build_router() -> EventRouter:
    router = EventRouter()
    router.on(ApprovalRequested)(open_approval)
    router.on(DecisionSubmitted)(apply_decision)
    return router
