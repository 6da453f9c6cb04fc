"""Bus events as WebSocket messages.

Every message is a JSON object with `type`, `workflow_id`, `timestamp` (the event's
`occurred_at`), `event_id`, `event_type` (the bus type), `producer`, `agent` (a display name,
as the Phase 2 frontend of boyangwan12/multiagent-retail-independent-study shows it, e.g.
"Demand Agent"), `agent_key` (`demand`, ...) and a readable `message`, plus:

| bus event                            | `type`               | extra fields                     |
|--------------------------------------|----------------------|----------------------------------|
| agent.started                        | agent_started        | task                             |
| agent.progress                       | agent_progress       | progress_pct (0-100 or null)     |
| agent.completed                      | agent_completed      | summary, result                  |
| approval.pending                     | human_input_required | action (approve_manufacturing_   |
|                                      |                      | order / approve_markdown),       |
|                                      |                      | approval_id, kind, data (the     |
|                                      |                      | proposal), options, endpoint     |
| workflow.completed                   | workflow_complete    | summary, result                  |
| agent.failed, workflow.failed,       | error                | error_message, retryable         |
| *.failed (forecast, allocation,      |                      |                                  |
| extraction)                          |                      |                                  |
| any other event of the workflow      | agent_progress       | data (the event's payload),      |
| (workflow.state_changed,             |                      | progress_pct null                |
| forecast.completed, variance.checked,|                      |                                  |
| approval.decided, actuals.uploaded..)|                      |                                  |

The field names `agent`, `message`, `progress_pct`, `result`, `action`, `data`, `options` and
`error_message` are the ones that frontend's `types/websocket.ts` reads. Besides these, the
socket sends messages of its own, with `event_id` null: `{"type": "ping"}` heartbeats,
`{"type": "error", "code": ...}` answers to client frames it cannot read, and, first on a
resume whose history is longer than the replay limit, an `error` with code
`replay_truncated` (see relay/socket.py). They are `error`s so that a client that knows only
these types still shows them.

An `error` does not by itself end the workflow: an agent's failure may be recovered from (a
failed re-forecast leaves the season running on the previous forecast). The workflow has
ended when a message's `event_type` is `workflow.completed`, `workflow.failed` or
`workflow.cancelled`; `GET /api/workflows/{id}` says the same in `state`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from planner_shared.events import (
    ActualsUploaded,
    AgentCompleted,
    AgentFailed,
    AgentProgress,
    AgentStarted,
    AllocationCompleted,
    AllocationRequested,
    ApprovalDecided,
    ApprovalPending,
    ApprovalRequested,
    CancelRequested,
    DecisionRefused,
    DecisionSubmitted,
    EventBase,
    ExtractionCompleted,
    ExtractionRequested,
    FailedPayload,
    ForecastCompleted,
    ForecastRequested,
    ReforecastRequested,
    SellThroughComputed,
    VarianceChecked,
    WorkflowCancelled,
    WorkflowCompleted,
    WorkflowFailed,
    WorkflowRequested,
    WorkflowStateChanged,
    WorkflowTransitionRefused,
    utc_now,
)
from planner_shared.variance_wording import describe_variance

AGENT_LABELS = {
    "orchestrator": "Orchestrator",
    "demand": "Demand Agent",
    "inventory": "Inventory Agent",
    "pricing": "Pricing Agent",
    "extraction": "Parameter Extraction",
    "forecast": "Forecast Engine",
}
# Events that no agent emits are attributed to the service that produced them.
PRODUCER_LABELS = {
    "agents": "Orchestrator",
    "forecast": "Forecast Engine",
    "extraction": "Parameter Extraction",
    "approvals": "Approvals",
    "gateway": "Gateway",
}
APPROVAL_ACTIONS = {"manufacturing": "approve_manufacturing_order", "markdown": "approve_markdown"}
APPROVAL_AGENTS = {"manufacturing": "inventory", "markdown": "pricing"}
PAST_TENSE = {"accept": "accepted", "modify": "modified"}


def _amount(kind: str, value: float) -> str:
    """A decided value as a planner reads it: units with separators, a markdown in percent."""
    if kind == "markdown":
        return f"{value:g}%"
    return f"{value:,.0f} units"


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
    AllocationCompleted: lambda e: (
        f"allocated {e.payload.store_units:,} units to {e.payload.store_count} stores, "
        f"{e.payload.dc_holdback_units:,} held at the DC"
    ),
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
    ExtractionRequested: lambda e: (
        f"reading the brief for the season's parameters ({len(e.payload.brief):,} characters)"
    ),
    ExtractionCompleted: lambda e: (
        f"parameters extracted ({e.payload.extraction.extractor}), "
        f"{len(e.payload.extraction.issues)} issue(s) to review"
    ),
}


def _base(event: EventBase, message_type: str, agent_key: str | None) -> dict[str, Any]:
    return {
        "type": message_type,
        "workflow_id": str(event.workflow_id) if event.workflow_id else None,
        "timestamp": event.occurred_at.isoformat(),
        "event_id": str(event.event_id),
        "event_type": event.type,
        "producer": event.producer,
        "agent": (
            AGENT_LABELS.get(agent_key, agent_key)
            if agent_key
            else PRODUCER_LABELS.get(event.producer, event.producer)
        ),
        "agent_key": agent_key,
    }


def to_message(event: EventBase) -> dict[str, Any]:
    """The WebSocket message a client sees for one bus event."""
    if isinstance(event, AgentStarted):
        p = event.payload
        return _base(event, "agent_started", p.agent) | {"task": p.task, "message": p.task}
    if isinstance(event, AgentProgress):
        step = event.payload
        pct = None if step.progress is None else round(step.progress * 100)
        return _base(event, "agent_progress", step.agent) | {
            "message": step.message,
            "progress_pct": pct,
        }
    if isinstance(event, AgentCompleted):
        done = event.payload
        return _base(event, "agent_completed", done.agent) | {
            "summary": done.summary,
            "message": done.summary,
            "result": done.output,
        }
    if isinstance(event, AgentFailed):
        failed = event.payload
        return _base(event, "error", failed.agent) | {
            "error_message": failed.reason,
            "message": failed.reason,
            "retryable": False,
        }
    if isinstance(event, ApprovalPending):
        kind = event.payload.proposal.kind
        return _base(event, "human_input_required", APPROVAL_AGENTS[kind]) | {
            "action": APPROVAL_ACTIONS[kind],
            "approval_id": str(event.payload.approval_id),
            "kind": kind,
            "data": event.payload.proposal.model_dump(mode="json"),
            "options": ["accept", "modify"],
            "endpoint": f"/api/approvals/{kind}",
            "message": event.payload.proposal.rationale,
        }
    if isinstance(event, WorkflowCompleted):
        return _base(event, "workflow_complete", "orchestrator") | {
            "summary": event.payload.summary,
            "message": event.payload.summary,
            "result": event.payload.model_dump(mode="json"),
        }
    if isinstance(event, WorkflowFailed) or isinstance(event.payload, FailedPayload):
        reason: str = event.payload.reason  # type: ignore[attr-defined]
        return _base(event, "error", None) | {
            "error_message": reason,
            "message": reason,
            "retryable": bool(getattr(event.payload, "retryable", False)),
        }
    describe = _DESCRIBERS.get(type(event))
    return _base(event, "agent_progress", None) | {
        "message": describe(event) if describe else event.type,
        "progress_pct": None,
        "data": event.payload.model_dump(mode="json"),
    }


def control(message_type: str, workflow_id: str, **fields: Any) -> dict[str, Any]:
    """A message of the socket itself (ping, error answers), not of a bus event."""
    return {
        "type": message_type,
        "workflow_id": workflow_id,
        "timestamp": utc_now().isoformat(),
        "event_id": None,
    } | fields


@dataclass(frozen=True, slots=True)
class Frame:
    """A message as it goes on the wire. An event's frame is encoded once and the same frame
    is queued for every connection that follows the workflow."""

    event_id: str | None
    text: str


def encode(message: dict[str, Any]) -> Frame:
    return Frame(message.get("event_id"), json.dumps(message))
