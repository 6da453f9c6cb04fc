"""A markdown decided category by category: each line within 0 to the cap, on a category the
proposal priced, with a reason when modified; the one value still works."""

from __future__ import annotations

import pytest

from planner_approvals.decisions import DecisionError, decided_value
from planner_approvals.markdown_lines import decided_lines, proposed_lines, value_with_lines
from planner_shared.events import (
    DecisionAction,
    DecisionSubmittedPayload,
    MarkdownLine,
    MarkdownProposal,
)


def _line(code: str, depth: float) -> MarkdownLine:
    return MarkdownLine(
        category_code=code,
        percentage=depth,
        rule_percentage=30.0,
        max_percentage=40,
        sell_through=0.37,
        target=0.6,
    )


PROPOSAL = MarkdownProposal(
    percentage=15,
    max_percentage=40,
    week_number=6,
    sell_through=0.5,
    target=0.6,
    elasticity=1.5,
    rationale="test",
    lines=[_line("DRES", 5.0), _line("OUTW", 0.0)],
)


def _decide(
    action: str,
    *,
    value: float | None = None,
    lines: dict[str, float] | None = None,
    reason: str | None = "only dresses are behind",
) -> DecisionSubmittedPayload:
    return DecisionSubmittedPayload(
        kind="markdown",
        action=DecisionAction(action),
        value=value,
        lines=lines,
        reason=reason,
        decided_by="ann",
    )


def test_accept_takes_each_proposed_line() -> None:
    decision = _decide("accept")
    assert proposed_lines(PROPOSAL) == {"DRES": 5.0, "OUTW": 0.0}
    assert decided_lines(PROPOSAL, decision) == {"DRES": 5.0, "OUTW": 0.0}
    assert decided_value(PROPOSAL, value_with_lines(PROPOSAL, decision, {})) == 15


def test_modify_by_lines_keeps_the_lines_left_out_and_reports_the_deepest() -> None:
    decision = _decide("modify", lines={"DRES": 20.0})
    lines = decided_lines(PROPOSAL, decision)
    assert lines == {"DRES": 20.0, "OUTW": 0.0}
    assert decided_value(PROPOSAL, value_with_lines(PROPOSAL, decision, lines)) == 20.0
    # With a value, the value is the depth of every category the lines leave out.
    both = _decide("modify", value=10.0, lines={"DRES": 20.0})
    assert decided_lines(PROPOSAL, both) == {"DRES": 20.0, "OUTW": 10.0}


def test_a_single_value_is_the_same_depth_everywhere() -> None:
    decision = _decide("modify", value=10.0)
    assert decided_lines(PROPOSAL, decision) == {}
    assert decided_value(PROPOSAL, value_with_lines(PROPOSAL, decision, {})) == 10.0


@pytest.mark.parametrize(
    ("lines", "reason", "words"),
    [
        ({"DRES": 45.0}, "why", "markdown of DRES 45% is outside the allowed range 0-40"),
        ({"SHOE": 10.0}, "why", "SHOE (it prices DRES, OUTW)"),
        ({"DRES": 10.0}, " ", "modifying the markdown lines needs a reason"),
    ],
)
def test_bad_lines_are_refused_naming_the_category(
    lines: dict[str, float], reason: str, words: str
) -> None:
    with pytest.raises(DecisionError) as caught:
        decided_lines(PROPOSAL, _decide("modify", lines=lines, reason=reason))
    assert caught.value.status_code == 422
    assert words in caught.value.reason
