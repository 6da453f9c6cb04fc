"""A transfers decision: accept, reject, or an edit held to the study's rules, each refusal
naming the move and the field."""

from __future__ import annotations

import pytest

from planner_approvals.decisions import DecisionError, decided_value
from planner_shared.events import (
    DecisionAction,
    DecisionSubmittedPayload,
    TransferEdit,
)
from planner_shared.stock.transfer_plan import decided_lines
from planner_tools.testing.proposals import outerwear_transfers

PROPOSAL = outerwear_transfers()


def decide(
    action: str, moves: list[TransferEdit] | None = None, **over: object
) -> DecisionSubmittedPayload:
    return DecisionSubmittedPayload.model_validate(
        {
            "kind": "transfers",
            "action": action,
            "moves": moves,
            "reason": "why",
            "decided_by": "ann",
        }
        | over
    )


def edit(source: str, target: str, units: int, category: str = "OUTW") -> TransferEdit:
    return TransferEdit(category=category, from_location=source, to_store=target, units=units)


def test_accept_moves_the_proposal_and_reject_moves_nothing() -> None:
    assert decided_value(PROPOSAL, decide("accept")) == 300
    assert decided_value(PROPOSAL, decide("reject")) == 0


def test_an_edit_within_the_rules_is_the_decision_and_keeps_each_move_s_reason() -> None:
    moves = [edit("DC", "S001", 250), edit("S020", "S002", 120)]
    assert decided_value(PROPOSAL, decide("modify", moves)) == 370
    lines = decided_lines(PROPOSAL, moves, "more to S001")
    assert [(m.arrival_week, m.why) for m in lines] == [
        (5, "S001 sells 1.40x its plan"),
        (6, "S002 sells 1.30x its plan"),
    ]
    added = decided_lines(PROPOSAL, [edit("DC", "S002", 60)], "S002 first")
    assert added[0].why == "The planner's move: S002 first"
    assert added[0].arrival_week == 6


@pytest.mark.parametrize(
    ("moves", "message"),
    [
        ([edit("DC", "S099", 100)], "moves[0].to_store 'S099' is not a store projected to lose"),
        ([edit("S030", "S001", 100)], "moves[0].from_location 'S030' cannot give OUTW"),
        ([edit("DC", "S001", 40)], "moves[0].units 40 is outside 50-300 units a move"),
        ([edit("DC", "S001", 301)], "moves[0].units 301 is outside 50-300"),
        (
            [edit("S020", "S001", 100), edit("S020", "S002", 60)],
            "S020 can give at most 120 OUTW units, the moves give 160",
        ),
        ([edit("DC", "S001", 100, "HATS")], "moves[0].category 'HATS' has no transfer"),
    ],
)
def test_an_edit_breaking_a_rule_is_refused_naming_the_move(
    moves: list[TransferEdit], message: str
) -> None:
    with pytest.raises(DecisionError) as refused:
        decided_value(PROPOSAL, decide("modify", moves))
    assert refused.value.status_code == 422
    assert message in refused.value.reason


def test_an_edit_needs_a_reason_and_a_superseded_week_is_a_conflict() -> None:
    with pytest.raises(DecisionError, match="reason"):
        decided_value(PROPOSAL, decide("modify", [edit("DC", "S001", 100)], reason=" "))
    with pytest.raises(DecisionError) as old:
        decided_value(PROPOSAL, decide("accept", week_number=3))
    assert old.value.status_code == 409


def test_reject_is_only_for_transfers() -> None:
    from .test_approvals_decisions import MARKDOWN

    with pytest.raises(DecisionError, match="'reject' is for transfers"):
        decided_value(MARKDOWN, decide("reject").model_copy(update={"kind": "markdown"}))
    assert DecisionAction.REJECT.value == "reject"
