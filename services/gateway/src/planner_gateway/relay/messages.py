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
`replay_truncated` (see api/socket.py). They are `error`s so that a client that knows only
these types still shows them.

An `error` does not by itself end the workflow: an agent's failure may be recovered from (a
failed re-forecast leaves the season running on the previous forecast). The workflow has
ended when a message's `event_type` is `workflow.completed`, `workflow.failed` or
`workflow.cancelled`; `GET /api/workflows/{id}` says the same in `state`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from planner_shared.events import (
    AgentCompleted,
    AgentFailed,
    AgentProgress,
    AgentStarted,
    ApprovalPending,
    EventBase,
    FailedPayload,
    WorkflowCompleted,
    WorkflowFailed,
    utc_now,
)
from planner_shared.wording import describe

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
    return _base(event, "agent_progress", None) | {
        "message": describe(event) or event.type,
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
