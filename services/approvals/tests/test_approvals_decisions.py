"""Decision rules at their edges."""

from __future__ import annotations

import pytest

from planner_approvals.decisions import DecisionError, decided_value, number
from planner_shared.events import (
    DecisionAction,
    DecisionSubmittedPayload,
    ManufacturingProposal,
    MarkdownProposal,
)
from planner_tools.testing.proposals import knit_order, markdown_proposal

ORDER = knit_order(rationale="test")
MARKDOWN = markdown_proposal(percentage=15, sell_through=0.5, elasticity=1.5, rationale="test")


def decide(
    action: str, value: float | None = None, reason: str | None = "why"
) -> DecisionSubmittedPayload:
    kind = "manufacturing"
    return DecisionSubmittedPayload(
        kind=kind, action=DecisionAction(action), value=value, reason=reason, decided_by="ann"
    )


def test_accept_takes_the_proposed_value() -> None:
    assert decided_value(ORDER, decide("accept")) == 1000
    assert decided_value(MARKDOWN, decide("accept")) == 15


@pytest.mark.parametrize("value", [800, 1200, 950])
def test_modify_within_bounds_inclusive(value: int) -> None:
    assert decided_value(ORDER, decide("modify", value)) == value


@pytest.mark.parametrize(
    ("proposal", "value", "message"),
    [
        (ORDER, 799, "quantity 799 is outside the allowed range 800-1,200"),
        (ORDER, 1201, "quantity 1,201 is outside the allowed range 800-1,200"),
        (ORDER, 900.5, "quantity must be a whole number"),
        (MARKDOWN, 45, "markdown percentage 45 is outside the allowed range 0-40"),
        (MARKDOWN, -5, "markdown percentage -5 is outside the allowed range 0-40"),
    ],
)
def test_modify_out_of_bounds_is_refused(
    proposal: ManufacturingProposal | MarkdownProposal, value: float, message: str
) -> None:
    with pytest.raises(DecisionError, match=message) as caught:
        decided_value(proposal, decide("modify", value))
    assert caught.value.status_code == 422


def test_modify_needs_a_value_and_a_reason() -> None:
    with pytest.raises(DecisionError, match="needs a value"):
        decided_value(ORDER, decide("modify"))
    with pytest.raises(DecisionError, match="needs a reason"):
        decided_value(ORDER, decide("modify", 900, reason="  "))


def test_accept_with_a_different_value_is_refused_not_silently_changed() -> None:
    with pytest.raises(DecisionError, match="use action 'modify'"):
        decided_value(ORDER, decide("accept", 900))


LARGE_ORDER = ORDER.model_copy(
    update={"quantity": 75283, "min_quantity": 60227, "max_quantity": 90339}
)


def test_large_quantities_read_with_thousands_separators() -> None:
    with pytest.raises(DecisionError) as caught:
        decided_value(LARGE_ORDER, decide("modify", 1_000_000))
    assert caught.value.reason == ("quantity 1,000,000 is outside the allowed range 60,227-90,339")
    with pytest.raises(DecisionError) as caught:
        decided_value(LARGE_ORDER, decide("accept", 80_000.0))
    assert caught.value.reason == (
        "'accept' takes the proposed value 75,283; use action 'modify' to decide 80,000"
    )
    with pytest.raises(DecisionError) as caught:
        decided_value(LARGE_ORDER, decide("modify", 1_234_567.5))
    assert caught.value.reason == "quantity must be a whole number, got 1,234,567.5"


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (12.5, "12.5"), (15.0, "15"), (-5, "-5"), (1e6, "1,000,000"), (0.125, "0.125")],
)
def test_numbers_as_people_write_them(value: float, text: str) -> None:
    assert number(value) == text
