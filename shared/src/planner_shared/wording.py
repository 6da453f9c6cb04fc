"""Events in a planner's words: the one place that words them.

Two services speak to the planner about the same events: the gateway's relay gives every
workflow event a `message` (`describe`), and the agents word the variance check in their
progress messages and hand it to the model. Both read the sentences here, so an event reads
the same wherever the planner meets it.

The figures and the verdicts come from the events themselves (for the variance check,
`VarianceCheckedPayload`: which side of the forecast the actuals fell on, and whether the
total or a category was above the threshold). Nothing here decides a rule again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import groupby
from typing import Any

from planner_shared.events import (
    ActualsUploaded,
    AllocationCompleted,
    AllocationCompletedPayload,
    AllocationRequested,
    ApprovalDecided,
    ApprovalRequested,
    ApprovalSuperseded,
    CancelRequested,
    CategoryVarianceResult,
    DecisionRefused,
    DecisionSubmitted,
    EventBase,
    ExtractionCompleted,
    ExtractionRequested,
    ForecastCompleted,
    ForecastOverridden,
    ForecastRequested,
    ManufacturingReplanned,
    ManufacturingReplanRequested,
    ReforecastRequested,
    ReplayProgressed,
    SellThroughComputed,
    VarianceChecked,
    VarianceCheckedPayload,
    WorkflowCancelled,
    WorkflowRequested,
    WorkflowStateChanged,
    WorkflowTransitionRefused,
)


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _side(actual: float | None, forecast: float | None) -> str:
    if actual is None or forecast is None:
        return "off"
    if actual > forecast:
        return "above"
    return "below" if actual < forecast else "on"


def _total(check: VarianceCheckedPayload) -> str:
    side = _side(check.actual_units, check.forecast_units)
    if not math.isfinite(check.total_variance):
        figure = "sold against a total forecast of zero"
    elif side == "on":
        figure = "on forecast"
    else:
        figure = f"{_pct(check.total_variance)} {side} {'the ' if side == 'off' else ''}forecast"
    over = check.total_exceeded
    if over is None:  # an event stored before the check said which part fired
        bound = f"threshold {check.threshold:.0%}"
    else:
        bound = f"{'over' if over else 'within'} {check.threshold:.0%}"
    return f"total {figure} ({bound})"


def _categories(fired: list[CategoryVarianceResult]) -> str:
    """'KNIT 29.0% and OUTW 40.1% above forecast; DRESS 35.0% below forecast'."""
    groups = []
    for side, members in groupby(
        sorted(fired, key=lambda c: (c.direction, c.category_code)), key=lambda c: c.direction
    ):
        figures = [
            f"{c.category_code} {_pct(c.variance)}"
            if math.isfinite(c.variance)
            else f"{c.category_code} (forecast zero)"
            for c in members
        ]
        listed = (
            figures[0] if len(figures) == 1 else ", ".join(figures[:-1]) + f" and {figures[-1]}"
        )
        groups.append(f"{listed} {side} forecast")
    return "; ".join(groups)


def variance_summary(check: VarianceCheckedPayload) -> str:
    """'total 9.8% above forecast (within 20%); KNIT 29.0% above forecast' — the total, then
    every category above the threshold."""
    text = _total(check)
    fired = [c for c in check.categories if c.exceeded]
    if fired:
        text += "; " + _categories(fired)
    return text


def variance_fired(check: VarianceCheckedPayload) -> str:
    """What fired the rule: the categories above the threshold, or else the total."""
    fired = [c for c in check.categories if c.exceeded]
    if fired and not check.total_exceeded:
        return f"{_categories(fired)} (threshold {check.threshold:.0%})"
    return _total(check)


def variance_outcome(check: VarianceCheckedPayload) -> str:
    """Whether the rule fired. Whether a re-forecast starts is the orchestrator's to say (its
    own message follows)."""
    return "over the threshold" if check.exceeded else "no re-forecast needed"


def describe_variance(check: VarianceCheckedPayload) -> str:
    """'week 4: total 9.8% above forecast (within 20%); KNIT 29.0% and OUTW 40.1% above
    forecast → re-forecast run 2'."""
    return f"week {check.week_number}: {variance_summary(check)} → {variance_outcome(check)}"


PAST_TENSE = {"accept": "accepted", "modify": "modified"}


def _amount(kind: str, value: float) -> str:
    """A decided value as a planner reads it: units with separators, a markdown in percent."""
    if kind == "markdown":
        return f"{value:g}%"
    return f"{value:,.0f} units"


def allocation_summary(allocation: AllocationCompletedPayload) -> str:
    """An allocation in a planner's words: the relay's sentence and the forecast service's
    last progress step both say it this way."""
    return (
        f"allocated {allocation.store_units:,} units to {allocation.store_count} stores, "
        f"{allocation.dc_holdback_units:,} held at the DC"
    )


def _describe_state(e: WorkflowStateChanged) -> str:
    p = e.payload
    return f"workflow {p.from_state.value} -> {p.to_state.value}: {p.reason}"


def _describe_variance(e: VarianceChecked) -> str:
    # The re-forecast may start on one category's drift inside a steady total: the wording
    # names the side of the forecast and the part that fired, as the check decided them.
    return describe_variance(e.payload)


def _describe_forecast(e: ForecastCompleted) -> str:
    p = e.payload
    moved = f", was {p.previous_season_total:,.0f}" if p.previous_season_total is not None else ""
    return (
        f"forecast run {p.run_number} ({p.reason}): season total {p.season_total:,.0f} units{moved}"
    )


def _describe_replanned(e: ManufacturingReplanned) -> str:
    p = e.payload
    if p.manufacturing is None:
        return f"the order could not be sized again ({p.reason}): {p.problem}"
    lines = ", ".join(f"{line.category_code} {line.quantity:,}" for line in p.manufacturing.lines)
    return (
        f"order sized again on the final forecast: {p.manufacturing.total_quantity:,} units "
        f"({lines}; {p.reason})"
    )


def _describe_superseded(e: ApprovalSuperseded) -> str:
    p = e.payload
    kind = p.kind.value
    return (
        f"{kind} proposal of {_amount(kind, p.proposed_value)} superseded by a new one of "
        f"{_amount(kind, p.new_proposed_value)} ({p.reason})"
    )


_DESCRIBERS: dict[type[EventBase], Callable[[Any], str]] = {
    WorkflowRequested: lambda e: f"workflow requested by {e.payload.requested_by}",
    ReforecastRequested: lambda e: (
        f"re-forecast requested by {e.payload.requested_by}: {e.payload.reason}"
    ),
    CancelRequested: lambda e: f"cancellation requested by {e.payload.requested_by}",
    WorkflowStateChanged: _describe_state,
    WorkflowTransitionRefused: lambda e: (
        f"refused {e.payload.event_type} in state {e.payload.current_state.value}: "
        f"{e.payload.reason}"
    ),
    WorkflowCancelled: lambda e: f"workflow cancelled by {e.payload.cancelled_by}",
    ForecastRequested: lambda e: (
        f"forecast run {e.payload.run_number} requested ({e.payload.reason})"
    ),
    ForecastCompleted: _describe_forecast,
    AllocationRequested: lambda e: f"allocation of {e.payload.approved_quantity:,} units requested",
    AllocationCompleted: lambda e: allocation_summary(e.payload),
    VarianceChecked: _describe_variance,
    SellThroughComputed: lambda e: (
        f"week {e.payload.week_number} sell-through {e.payload.sell_through:.1%} "
        f"(target {e.payload.target:.0%})"
    ),
    ActualsUploaded: lambda e: (
        f"week {e.payload.week_number} actuals uploaded by {e.payload.uploaded_by} "
        f"({e.payload.row_count} rows"
        f"{', replacing the earlier upload' if e.payload.replaced_previous else ''})"
    ),
    ReplayProgressed: lambda e: (
        f"replay {e.payload.weeks_done}/{e.payload.weeks_target} weeks: {e.payload.message}"
    ),
    ApprovalRequested: lambda e: f"{e.payload.proposal.kind} approval requested",
    DecisionSubmitted: lambda e: (
        f"{e.payload.kind.value} decision ({e.payload.action.value}) submitted by "
        f"{e.payload.decided_by}"
    ),
    ApprovalDecided: lambda e: (
        f"{e.payload.kind.value} {PAST_TENSE[e.payload.action.value]} by "
        f"{e.payload.decided_by}: {_amount(e.payload.kind.value, e.payload.decided_value)} "
        f"(proposed {_amount(e.payload.kind.value, e.payload.proposed_value)})"
    ),
    DecisionRefused: lambda e: f"{e.payload.kind.value} decision refused: {e.payload.reason}",
    ForecastOverridden: lambda e: (
        f"forecast override {e.payload.summary} {e.payload.action} by {e.payload.by}: "
        f"{e.payload.reason}"
    ),
    ManufacturingReplanRequested: lambda e: (
        f"order to be sized again on the final forecast ({e.payload.reason})"
    ),
    ManufacturingReplanned: _describe_replanned,
    ApprovalSuperseded: _describe_superseded,
    ExtractionRequested: lambda e: (
        f"reading the brief for the season's parameters ({len(e.payload.brief):,} characters)"
    ),
    ExtractionCompleted: lambda e: (
        f"parameters extracted ({e.payload.extraction.extractor}), "
        f"{len(e.payload.extraction.issues)} issue(s) to review"
    ),
}


def describe(event: EventBase) -> str | None:
    """The planner's sentence for an event of the workflow, or None for one the socket sends
    with a wording of its own (agent steps, approvals, failures)."""
    describer = _DESCRIBERS.get(type(event))
    return describer(event) if describer else None
