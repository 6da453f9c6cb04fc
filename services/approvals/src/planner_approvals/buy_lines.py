"""A manufacturing decision by category: the lines it settles on, each within its bounds.

Accepting takes the proposal's lines. Modifying takes either lines (code -> whole units, any
subset of the proposal's categories; the others keep the proposal's; the total follows the
lines) or one total (`value`), split by the proposal's shares (largest remainder, as the
seed's single-quantity decision and `/api/v1` send it). Each line must lie within its own
bounds, and the total within the order's.
"""

from __future__ import annotations

from collections.abc import Mapping

from planner_approvals.decisions import DecisionError, decided_value, number
from planner_shared.buy import split_total
from planner_shared.events import (
    DecisionAction,
    DecisionSubmittedPayload,
    ManufacturingProposal,
    MarkdownProposal,
)

Lines = dict[str, float]


def settle(
    proposal: ManufacturingProposal | MarkdownProposal, decision: DecisionSubmittedPayload
) -> tuple[float, Lines, Lines]:
    """(the decided total, the proposed lines, the decided lines), or DecisionError.

    A decision by lines settles on the lines' total, checked like a single value against the
    order's bounds (and against `value` when both are sent)."""
    if not isinstance(proposal, ManufacturingProposal):
        return decided_value(proposal, decision), {}, {}
    if decision.lines is not None:
        total = lines_total(proposal, decision)
        if decision.value is not None and decision.value != total:
            raise DecisionError(
                422,
                f"the lines add up to {number(total)}, not the value {number(decision.value)}; "
                "send the lines alone (the total follows them)",
            )
        value = decided_value(proposal, decision.model_copy(update={"value": float(total)}))
    else:
        value = decided_value(proposal, decision)
    return value, proposed_lines(proposal), decided_lines(proposal, decision, value)


def proposed_lines(proposal: ManufacturingProposal) -> dict[str, float]:
    return {line.category_code: float(line.quantity) for line in proposal.lines}


def decided_lines(
    proposal: ManufacturingProposal, decision: DecisionSubmittedPayload, total: float
) -> dict[str, float]:
    """The decided units per category; `total` is the decided total once checked."""
    proposed = {line.category_code: line.quantity for line in proposal.lines}
    if decision.lines is None:
        if decision.action is DecisionAction.ACCEPT or int(total) == proposal.quantity:
            return {code: float(q) for code, q in proposed.items()}
        return {code: float(q) for code, q in split_total(int(total), proposed).items()}
    lines = proposed | {code: int(units) for code, units in _checked(proposal, decision).items()}
    return {code: float(q) for code, q in lines.items()}


def lines_total(proposal: ManufacturingProposal, decision: DecisionSubmittedPayload) -> int:
    """The total a decision by lines settles on (the proposal's lines it leaves unchanged)."""
    lines = _checked(proposal, decision)
    rest = sum(line.quantity for line in proposal.lines if line.category_code not in lines)
    return int(sum(lines.values())) + rest


def _checked(
    proposal: ManufacturingProposal, decision: DecisionSubmittedPayload
) -> Mapping[str, float]:
    lines = decision.lines or {}
    by_code = {line.category_code: line for line in proposal.lines}
    if decision.action is DecisionAction.ACCEPT:
        raise DecisionError(422, "'accept' takes the proposed lines; use 'modify' to change one")
    if not lines:
        raise DecisionError(422, "lines must name at least one category")
    unknown = sorted(set(lines) - set(by_code))
    if unknown:
        raise DecisionError(
            422,
            f"lines name categories the order does not have: {', '.join(unknown)} "
            f"(the order's: {', '.join(sorted(by_code))})",
        )
    for code, units in sorted(lines.items()):
        line = by_code[code]
        if units != int(units) or units < 0:
            raise DecisionError(
                422, f"line {code}: quantity must be a whole number >= 0, got {number(units)}"
            )
        low = line.min_quantity if line.min_quantity is not None else 0
        high = line.max_quantity if line.max_quantity is not None else proposal.max_quantity
        if not low <= units <= high:
            raise DecisionError(
                422,
                f"line {code}: quantity {number(units)} is outside the line's allowed range "
                f"{number(low)}-{number(high)}",
            )
    return lines
