"""The workflow state machine: the states and the legal transitions (docs/workflow.md)."""

from __future__ import annotations

from enum import StrEnum


class WorkflowState(StrEnum):
    CREATED = "created"
    EXTRACTING = "extracting"
    FORECASTING = "forecasting"
    AWAITING_MANUFACTURING_APPROVAL = "awaiting_manufacturing_approval"
    ALLOCATING = "allocating"
    IN_SEASON = "in_season"
    REFORECASTING = "reforecasting"
    AWAITING_MARKDOWN_APPROVAL = "awaiting_markdown_approval"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


S = WorkflowState
TERMINAL_STATES = frozenset({S.COMPLETED, S.FAILED, S.CANCELLED})

_FORWARD: dict[WorkflowState, frozenset[WorkflowState]] = {
    S.CREATED: frozenset({S.EXTRACTING, S.FORECASTING}),
    S.EXTRACTING: frozenset({S.FORECASTING}),
    S.FORECASTING: frozenset({S.AWAITING_MANUFACTURING_APPROVAL}),
    S.AWAITING_MANUFACTURING_APPROVAL: frozenset({S.ALLOCATING}),
    S.ALLOCATING: frozenset({S.IN_SEASON}),
    S.IN_SEASON: frozenset({S.REFORECASTING, S.AWAITING_MARKDOWN_APPROVAL, S.COMPLETED}),
    S.REFORECASTING: frozenset({S.IN_SEASON}),
    S.AWAITING_MARKDOWN_APPROVAL: frozenset({S.IN_SEASON, S.COMPLETED}),
}

# Any live workflow may fail or be cancelled; a finished one never moves again.
TRANSITIONS: dict[WorkflowState, frozenset[WorkflowState]] = {
    state: (
        frozenset()
        if state in TERMINAL_STATES
        else _FORWARD.get(state, frozenset()) | {S.FAILED, S.CANCELLED}
    )
    for state in WorkflowState
}


def can_transition(current: WorkflowState, target: WorkflowState) -> bool:
    return target in TRANSITIONS[current]


class ApprovalKind(StrEnum):
    """What an approver decides. A gate holds the season in a state of its own until it is
    decided: the order before the allocation, the markdown at the checkpoint. A week's
    transfer proposal is asked for and decided too, but the season goes on meanwhile."""

    MANUFACTURING = "manufacturing"
    MARKDOWN = "markdown"
    TRANSFERS = "transfers"

    @property
    def gate(self) -> bool:
        """Whether the season waits on this approval (`GATES` names the state it waits in)."""
        return self in GATES


GATES: dict[ApprovalKind, WorkflowState] = {
    ApprovalKind.MANUFACTURING: S.AWAITING_MANUFACTURING_APPROVAL,
    ApprovalKind.MARKDOWN: S.AWAITING_MARKDOWN_APPROVAL,
}
