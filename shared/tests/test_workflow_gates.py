"""The approvals the season waits on (its gates) and the ones it does not."""

from __future__ import annotations

from planner_shared.events import ApprovalKind as EventsApprovalKind
from planner_shared.workflow import GATES, ApprovalKind, WorkflowState


def test_every_state_waiting_for_an_approval_is_a_gates_and_only_those() -> None:
    waiting = {s for s in WorkflowState if s.value.startswith("awaiting_")}
    assert set(GATES.values()) == waiting
    assert {kind for kind in ApprovalKind if kind.gate} == set(GATES)


def test_a_weeks_transfer_proposal_does_not_hold_the_season() -> None:
    assert not ApprovalKind.TRANSFERS.gate
    assert ApprovalKind("manufacturing").gate
    assert ApprovalKind("markdown").gate
    # The events carry the same kind (one class, not a copy).
    assert EventsApprovalKind is ApprovalKind
