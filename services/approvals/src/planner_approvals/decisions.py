"""The rules of a human decision on a proposal, free of storage and transport."""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner_shared.events import (
    DecisionAction,
    DecisionSubmittedPayload,
    ManufacturingProposal,
    MarkdownProposal,
)


@dataclass(frozen=True)
class DecisionError(Exception):
    """A decision that cannot be applied; `status_code` is what the gateway answers."""

    status_code: int
    reason: str

    def __str__(self) -> str:
        return self.reason


def number(value: float) -> str:
    """A value as a person reads it: 1,000,000 and 12.5, never 1e+06."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.6f}".rstrip("0").rstrip(".")


def proposed_value(proposal: ManufacturingProposal | MarkdownProposal) -> float:
    if isinstance(proposal, ManufacturingProposal):
        return float(proposal.quantity)
    return proposal.percentage


def bounds(proposal: ManufacturingProposal | MarkdownProposal) -> tuple[float, float]:
    if isinstance(proposal, ManufacturingProposal):
        return float(proposal.min_quantity), float(proposal.max_quantity)
    return 0.0, proposal.max_percentage


def decided_value(
    proposal: ManufacturingProposal | MarkdownProposal, decision: DecisionSubmittedPayload
) -> float:
    """The value the decision settles on, or DecisionError when it is not allowed."""
    if decision.action is DecisionAction.ACCEPT:
        if decision.value is not None and decision.value != proposed_value(proposal):
            raise DecisionError(
                422,
                f"'accept' takes the proposed value {number(proposed_value(proposal))}; "
                f"use action 'modify' to decide {number(decision.value)}",
            )
        return proposed_value(proposal)
    if decision.value is None:
        raise DecisionError(422, "action 'modify' needs a value")
    low, high = bounds(proposal)
    if isinstance(proposal, ManufacturingProposal):
        if decision.value != int(decision.value):
            raise DecisionError(
                422, f"quantity must be a whole number, got {number(decision.value)}"
            )
        what = "quantity"
    else:
        what = "markdown percentage"
    if not low <= decision.value <= high:
        raise DecisionError(
            422,
            f"{what} {number(decision.value)} is outside the allowed range "
            f"{number(low)}-{number(high)}",
        )
    if not decision.reason or not decision.reason.strip():
        raise DecisionError(422, f"modifying the {what} needs a reason")
    return float(decision.value)
