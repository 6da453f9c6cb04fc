"""Bus events as WebSocket messages: the mapping and every field are in docs/websocket.md."""

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
APPROVAL_ACTIONS = {
    "manufacturing": "approve_manufacturing_order",
    "markdown": "approve_markdown",
    "transfers": "approve_transfers",
}
APPROVAL_AGENTS = {"manufacturing": "inventory", "markdown": "pricing", "transfers": "inventory"}


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
            "options": ["accept", "modify", "reject"]
            if kind == "transfers"
            else ["accept", "modify"],
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
        reason = _reason_of(event.payload)
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


def _reason_of(payload: object) -> str:
    """A failure's reason: `workflow.failed` and every `*.failed` carry one."""
    reason = getattr(payload, "reason", None)
    if not isinstance(reason, str):
        raise TypeError(f"{type(payload).__name__} carries no reason")
    return reason
