"""The rules of a human decision on a proposal, free of storage and transport."""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner_shared.events import (
    DecisionAction,
    DecisionSubmittedPayload,
    ManufacturingProposal,
    MarkdownProposal,
    TransferProposal,
)
from planner_shared.stock.transfer_plan import edit_problems

AnyProposal = ManufacturingProposal | MarkdownProposal | TransferProposal


@dataclass(frozen=True)
class DecisionError(Exception):
    """A decision that cannot be applied; `status_code` is what the gateway answers."""

    status_code: int
    reason: str
    code: str | None = None  # the error code, where the status alone does not say it

    def __str__(self) -> str:
        return self.reason


def number(value: float) -> str:
    """A value as a person reads it: 1,000,000 and 12.5, never 1e+06."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.6f}".rstrip("0").rstrip(".")


def proposed_value(proposal: AnyProposal) -> float:
    if isinstance(proposal, ManufacturingProposal):
        return float(proposal.quantity)
    if isinstance(proposal, TransferProposal):
        return float(proposal.units)
    return proposal.percentage


def bounds(proposal: AnyProposal) -> tuple[float, float]:
    if isinstance(proposal, ManufacturingProposal):
        return float(proposal.min_quantity), float(proposal.max_quantity)
    if isinstance(proposal, TransferProposal):
        return 0.0, float(sum(d.max_units for d in proposal.donors))
    return 0.0, proposal.max_percentage


def transfer_units(proposal: TransferProposal, decision: DecisionSubmittedPayload) -> float:
    """Units a transfers decision moves: the proposal's, none (rejected) or the edit's, which
    must keep the rules (transfer_plan.edit_problems) and say why."""
    if decision.week_number is not None and decision.week_number != proposal.week_number:
        raise DecisionError(
            409,
            f"the week {decision.week_number} proposal was superseded by week "
            f"{proposal.week_number}'s: decide that one",
        )
    if decision.action is DecisionAction.REJECT:
        return 0.0
    if decision.action is DecisionAction.ACCEPT:
        if decision.moves is not None:
            raise DecisionError(422, "'accept' takes the proposed moves; use 'modify' to edit")
        return float(proposal.units)
    if decision.moves is None:
        raise DecisionError(422, "moves: action 'modify' needs the edited moves")
    problems = edit_problems(proposal, decision.moves)
    if problems:
        raise DecisionError(422, "; ".join(problems))
    if not decision.reason or not decision.reason.strip():
        raise DecisionError(422, "reason: editing the transfer moves needs a reason")
    return float(sum(m.units for m in decision.moves))


def decided_value(proposal: AnyProposal, decision: DecisionSubmittedPayload) -> float:
    """The value the decision settles on, or DecisionError when it is not allowed."""
    if isinstance(proposal, TransferProposal):
        return transfer_units(proposal, decision)
    if decision.action is DecisionAction.REJECT:
        raise DecisionError(
            422, f"action 'reject' is for transfers; a {proposal.kind} decision is needed"
        )
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
