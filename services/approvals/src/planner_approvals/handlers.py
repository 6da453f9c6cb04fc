"""Approvals handlers: open an approval when an agent asks, apply a human's decision once.

A decision may overtake its `approval.requested` on the bus: the planner sees the state turn
awaiting (committed with the request in the outbox) and decides before the request is
relayed and consumed. Such a decision opens the approval itself, from the proposal the
workflow carries, and is applied; the request, when it arrives, finds the approval there.
Both handlers hold the same advisory lock, so exactly one of them opens it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from planner_approvals import buy_lines, markdown_lines
from planner_approvals.decisions import DecisionError, decided_value, number
from planner_approvals.repository import (
    DECIDED,
    PENDING,
    SUPERSEDED,
    add_approval,
    awaited_proposal,
    find_approval,
    lock_approval,
    record_decision,
    replace_pending,
    supersede,
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
    ApprovalSuperseded,
    ApprovalSupersededPayload,
    DecisionAction,
    DecisionRefused,
    DecisionRefusedPayload,
    DecisionSubmitted,
    DecisionSubmittedPayload,
    ManufacturingProposal,
    MarkdownProposal,
    TransferEdit,
    TransferProposal,
)

EDIT_FIELDS = set(TransferEdit.model_fields)


async def open_approval(event: ApprovalRequested, ctx: MessageContext) -> None:
    proposal = event.payload.proposal
    await lock_approval(ctx.session, event.workflow_id, proposal.kind)
    existing = await find_approval(ctx.session, event.workflow_id, proposal.kind)
    if existing is not None and _newer_transfers(existing, proposal):
        assert isinstance(proposal, TransferProposal)
        supersede(existing, proposal, event.event_id)
        ctx.emit(
            event.caused(
                ApprovalPending,
                ApprovalPendingPayload(approval_id=existing.id, proposal=proposal),
                ctx.producer,
            )
        )
        return
    if (
        existing is not None
        and existing.status == PENDING
        and event.payload.supersedes_reason
        and not isinstance(proposal, TransferProposal)
        and existing.request_event_id != event.event_id
    ):
        await _replace(event, ctx, existing, event.payload.supersedes_reason)
        return
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
    approval = await add_approval(ctx.session, event.workflow_id, proposal, event.event_id)
    ctx.emit(
        event.caused(
            ApprovalPending,
            ApprovalPendingPayload(approval_id=approval.id, proposal=proposal),
            ctx.producer,
        )
    )


async def _replace(
    event: ApprovalRequested, ctx: MessageContext, pending: Approval, reason: str
) -> None:
    """The orchestrator's new proposal of a pending kind (a forecast override changed the
    order): the pending approval is superseded, the new one opened, both announced."""
    proposal = event.payload.proposal
    assert not isinstance(proposal, TransferProposal)
    approval = await replace_pending(
        ctx.session, pending, proposal, event.event_id, reason, datetime.now(UTC)
    )
    ctx.emit(
        event.caused(
            ApprovalSuperseded,
            ApprovalSupersededPayload(
                approval_id=pending.id,
                kind=ApprovalKind(pending.kind),
                superseded_by=approval.id,
                reason=reason,
                proposed_value=pending.proposed_value,
                new_proposed_value=approval.proposed_value,
            ),
            ctx.producer,
        ),
        event.caused(
            ApprovalPending,
            ApprovalPendingPayload(approval_id=approval.id, proposal=proposal),
            ctx.producer,
        ),
    )


def _newer_transfers(existing: Approval, proposal: object) -> bool:
    """A transfer proposal of a later week than the workflow's transfers approval holds: it
    supersedes it (transfers never block the season, one proposal stands at a time)."""
    if not isinstance(proposal, TransferProposal):
        return False
    week = int(existing.proposal.get("week_number") or 0)
    # The same week proposed again (after a re-forecast) replaces it while undecided.
    return week < proposal.week_number or (
        week == proposal.week_number and existing.status == PENDING
    )


async def _open_ahead_of_request(event: DecisionSubmitted, ctx: MessageContext) -> Approval | None:
    """The approval of a workflow that waits for this decision but whose request has not been
    consumed yet, opened from the workflow's proposal (announced as the request would)."""
    awaited = await awaited_proposal(ctx.session, event.workflow_id, event.payload.kind.value)
    if awaited is None:
        return None
    proposal, request_id = awaited
    approval = await add_approval(
        ctx.session, event.workflow_id, proposal, request_id or event.event_id
    )
    ctx.emit(
        event.caused(
            ApprovalPending,
            ApprovalPendingPayload(approval_id=approval.id, proposal=proposal),
            ctx.producer,
        )
    )
    return approval


def _refuse(event: DecisionSubmitted, ctx: MessageContext, error: DecisionError) -> None:
    ctx.emit(
        event.caused(
            DecisionRefused,
            DecisionRefusedPayload(
                kind=event.payload.kind,
                reason=error.reason,
                status_code=error.status_code,
                code=error.code,
            ),
            ctx.producer,
        )
    )


async def _not_this_one(
    ctx: MessageContext, approval_id: object, current: Approval
) -> DecisionError:
    """Why a decision for another approval than the open one is refused, in the approver's
    words: superseded by a new proposal (which one, why), or not this workflow's."""
    asked = await ctx.session.get(Approval, approval_id)
    if asked is None or asked.workflow_id != current.workflow_id or asked.kind != current.kind:
        return DecisionError(404, f"approval {approval_id} is not this season's {current.kind}")
    if asked.status != SUPERSEDED:
        return DecisionError(409, f"approval {approval_id} is not the one open")
    what = "order proposal" if asked.kind == "manufacturing" else f"{asked.kind} proposal"
    at = f" at {asked.superseded_at:%Y-%m-%d %H:%M} UTC" if asked.superseded_at else ""
    state = "is waiting for the decision" if current.status == PENDING else "was decided"
    return DecisionError(
        409,
        f"this {what} ({number(asked.proposed_value)}) was superseded{at} after the "
        f"{asked.reason}; the new proposal ({number(current.proposed_value)}) {state}: "
        "look at its figures and decide that one",
        code="approval_superseded",
    )


def _settle(
    proposal: ManufacturingProposal | MarkdownProposal | TransferProposal,
    decision: DecisionSubmittedPayload,
) -> tuple[float, dict[str, float], dict[str, float]]:
    """(the decided value, the proposed lines, the decided lines), or DecisionError: the
    order by its category lines (buy_lines), the markdown by its category depths
    (markdown_lines), the transfers by their moves (units moved; no lines)."""
    if isinstance(proposal, TransferProposal):
        return decided_value(proposal, decision), {}, {}
    if isinstance(proposal, ManufacturingProposal):
        return buy_lines.settle(proposal, decision)
    lines = markdown_lines.decided_lines(proposal, decision)
    value = decided_value(proposal, markdown_lines.value_with_lines(proposal, decision, lines))
    return value, markdown_lines.proposed_lines(proposal), lines


async def apply_decision(event: DecisionSubmitted, ctx: MessageContext) -> None:
    decision = event.payload
    kind = decision.kind
    await lock_approval(ctx.session, event.workflow_id, kind.value)
    approval = await find_approval(ctx.session, event.workflow_id, kind.value)
    if approval is None:
        approval = await _open_ahead_of_request(event, ctx)
    if approval is None:
        return _refuse(
            event,
            ctx,
            DecisionError(404, f"no {kind.value} approval is waiting for this workflow"),
        )
    if decision.approval_id is not None and decision.approval_id != approval.id:
        return _refuse(event, ctx, await _not_this_one(ctx, decision.approval_id, approval))
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
        value, proposed, decided = _settle(proposal, decision)
    except DecisionError as error:
        return _refuse(event, ctx, error)
    now = datetime.now(UTC)
    record_decision(approval, decision, value, now, lines=decided)
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
                proposed_lines=proposed,
                decided_lines=decided,
                **_transfer_fields(proposal, decision),
            ),
            ctx.producer,
        )
    )
    return None


def _transfer_fields(proposal: object, decision: DecisionSubmittedPayload) -> dict[str, Any]:
    """A transfers decision's week and moves (the proposal's when accepted, none when
    rejected, the edit's when modified)."""
    if not isinstance(proposal, TransferProposal):
        return {}
    if decision.action is DecisionAction.REJECT:
        moves: list[TransferEdit] = []
    elif decision.action is DecisionAction.ACCEPT or decision.moves is None:
        moves = [TransferEdit(**m.model_dump(include=EDIT_FIELDS)) for m in proposal.moves]
    else:
        moves = list(decision.moves)
    return {"week_number": proposal.week_number, "moves": moves}


def build_router() -> EventRouter:
    router = EventRouter()
    router.on(ApprovalRequested)(open_approval)
    router.on(DecisionSubmitted)(apply_decision)
    return router
