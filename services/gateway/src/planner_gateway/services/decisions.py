"""An approval decision, sent to the approvals service and answered over the bus.

`/api/approvals/*` and v1 `/approvals/*` both decide through `submit`; each router shapes
the outcome its own way (and `/api` adds its idempotency keys around it).
"""

from __future__ import annotations

from uuid import UUID

from planner_gateway import SERVICE_NAME
from planner_gateway.access import refuse_own_decision
from planner_gateway.auth import Principal
from planner_gateway.errors import ApiError
from planner_gateway.repository import get_workflow
from planner_gateway.services.replies import ask
from planner_gateway.settings import GatewaySettings
from planner_gateway.state import GatewayState
from planner_shared.events import (
    ApprovalDecided,
    ApprovalKind,
    DecisionAction,
    DecisionRefused,
    DecisionSubmitted,
    DecisionSubmittedPayload,
    EventBase,
    TransferEdit,
)
from planner_shared.runtime import Runtime

DECISION_ANSWERS: tuple[type[EventBase], ...] = (ApprovalDecided, DecisionRefused)


def command(
    kind: ApprovalKind,
    workflow_id: UUID,
    action: DecisionAction,
    value: float | None,
    reason: str | None,
    principal: Principal,
    *,
    lines: dict[str, float] | None = None,
    moves: list[TransferEdit] | None = None,
    week_number: int | None = None,
    approval_id: UUID | None = None,
) -> DecisionSubmitted:
    return DecisionSubmitted(
        workflow_id=workflow_id,
        producer=SERVICE_NAME,
        payload=DecisionSubmittedPayload(
            kind=kind,
            action=action,
            value=value,
            lines=lines,
            reason=reason,
            decided_by=principal.name,
            moves=moves,
            week_number=week_number,
            approval_id=approval_id,
        ),
    )


async def require_workflow(
    runtime: Runtime, workflow_id: UUID, principal: Principal, settings: GatewaySettings
) -> None:
    """404 for a workflow that does not exist, 403 when four-eyes forbids this decider,
    before anything is sent or recorded."""
    async with runtime.sessionmaker() as session:
        workflow = await get_workflow(session, workflow_id)
    refuse_own_decision(workflow.created_by, principal, workflow.id, settings)


async def submit(
    state: GatewayState, runtime: Runtime, request: DecisionSubmitted
) -> ApprovalDecided | DecisionRefused | None:
    """Send a decision and wait for the approvals service: the decision, its refusal, or
    None when no answer came in time (it may still be applied)."""
    try:
        answer = await ask(state, runtime, request, DECISION_ANSWERS, "approvals")
    except ApiError as exc:
        if exc.code != "gateway_timeout":
            raise
        return None
    assert isinstance(answer, ApprovalDecided | DecisionRefused)
    return answer
