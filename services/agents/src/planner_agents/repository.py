"""Loading workflows and moving them through the state machine, with every move recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select

from planner_shared.bus.router import MessageContext
from planner_shared.db.models import Workflow, WorkflowTransition
from planner_shared.events import (
    EventBase,
    StateChangedPayload,
    TransitionRefusedPayload,
    WorkflowStateChanged,
    WorkflowTransitionRefused,
)
from planner_shared.parameters import SeasonParameters
from planner_shared.workflow import TERMINAL_STATES, WorkflowState, can_transition


class UnknownWorkflowError(Exception):
    pass


async def load_workflow(ctx: MessageContext, workflow_id: UUID | None) -> Workflow:
    """The workflow row, locked for this transaction so replicas never interleave moves."""
    if workflow_id is None:
        raise UnknownWorkflowError("event carries no workflow_id")
    workflow: Workflow | None = await ctx.session.scalar(
        select(Workflow).where(Workflow.id == workflow_id).with_for_update()
    )
    if workflow is None:
        raise UnknownWorkflowError(f"workflow {workflow_id} does not exist")
    return workflow


def state_of(workflow: Workflow) -> WorkflowState:
    return WorkflowState(workflow.state)


def parameters_of(workflow: Workflow) -> SeasonParameters:
    if workflow.parameters is None:
        raise ValueError(f"workflow {workflow.id} has no parameters yet")
    return SeasonParameters.model_validate(workflow.parameters)


def refuse(ctx: MessageContext, workflow: Workflow, event: EventBase, reason: str) -> None:
    """Record an event that does not fit the current state; nothing else changes."""
    ctx.session.add(
        WorkflowTransition(
            workflow_id=workflow.id,
            from_state=workflow.state,
            to_state=workflow.state,
            accepted=False,
            event_id=event.event_id,
            event_type=event.type,
            reason=reason,
        )
    )
    ctx.emit(
        event.caused(
            WorkflowTransitionRefused,
            TransitionRefusedPayload(
                current_state=state_of(workflow), event_type=event.type, reason=reason
            ),
            ctx.producer,
        )
    )


def expect(
    ctx: MessageContext, workflow: Workflow, event: EventBase, *states: WorkflowState
) -> bool:
    """True when the workflow is in one of `states`; otherwise the event is refused."""
    if state_of(workflow) in states:
        return True
    allowed = ", ".join(s.value for s in states)
    refuse(
        ctx,
        workflow,
        event,
        f"{event.type} is not expected in state {workflow.state} (expected: {allowed})",
    )
    return False


def move(
    ctx: MessageContext, workflow: Workflow, target: WorkflowState, event: EventBase, reason: str
) -> bool:
    current = state_of(workflow)
    if not can_transition(current, target):
        refuse(ctx, workflow, event, f"illegal transition {current.value} -> {target.value}")
        return False
    workflow.state = target.value
    workflow.updated_at = datetime.now(UTC)
    if target in TERMINAL_STATES:
        workflow.completed_at = workflow.updated_at
        workflow.pending_input = None
    ctx.session.add(
        WorkflowTransition(
            workflow_id=workflow.id,
            from_state=current.value,
            to_state=target.value,
            accepted=True,
            event_id=event.event_id,
            event_type=event.type,
            reason=reason,
        )
    )
    ctx.emit(
        event.caused(
            WorkflowStateChanged,
            StateChangedPayload(from_state=current, to_state=target, reason=reason),
            ctx.producer,
        )
    )
    return True
