"""A markdown decided category by category (docs/markdown.md): each line within 0 to the
proposal's cap, on a category the proposal priced; free of storage and transport."""

from __future__ import annotations

from planner_approvals.decisions import DecisionError, number
from planner_shared.events import (
    DecisionAction,
    DecisionSubmittedPayload,
    ManufacturingProposal,
    MarkdownProposal,
)


def proposed_lines(proposal: ManufacturingProposal | MarkdownProposal) -> dict[str, float]:
    """The markdown's recommended depth per category; empty for any other proposal."""
    if not isinstance(proposal, MarkdownProposal):
        return {}
    return {line.category_code: line.percentage for line in proposal.lines}


def decided_lines(
    proposal: ManufacturingProposal | MarkdownProposal, decision: DecisionSubmittedPayload
) -> dict[str, float]:
    """Each category's decided depth: the proposed lines on accept; on modify, the lines
    given, `value` (when given) for the others, else their proposed depth. Empty when the
    decision is one value for every category on a proposal without lines."""
    proposed = proposed_lines(proposal)
    if decision.action is DecisionAction.ACCEPT or not isinstance(proposal, MarkdownProposal):
        return proposed
    given = decision.lines or {}
    if not given:
        return {}
    unknown = sorted(set(given) - set(proposed))
    if unknown:
        known = ", ".join(sorted(proposed)) or "none"
        raise DecisionError(
            422,
            f"lines name categories the markdown proposal does not price: "
            f"{', '.join(unknown)} (it prices {known})",
        )
    for code, depth in sorted(given.items()):
        if not 0.0 <= depth <= proposal.max_percentage:
            raise DecisionError(
                422,
                f"markdown of {code} {number(depth)}% is outside the allowed range "
                f"0-{number(proposal.max_percentage)}",
            )
    if not decision.reason or not decision.reason.strip():
        raise DecisionError(422, "modifying the markdown lines needs a reason")
    default = decision.value
    return {
        code: given.get(code, default if default is not None else depth)
        for code, depth in proposed.items()
    }


def value_with_lines(
    proposal: ManufacturingProposal | MarkdownProposal,
    decision: DecisionSubmittedPayload,
    lines: dict[str, float],
) -> DecisionSubmittedPayload:
    """The decision as the one-value rule checks it: modified by lines alone, its value is
    the deepest line (the ledger applies each line; the value is what a one-number reader,
    /api/v1, sees)."""
    if decision.value is not None or not lines or decision.action is DecisionAction.ACCEPT:
        return decision
    return decision.model_copy(update={"value": max(lines.values())})
