"""The `/ws` messages of a workflow (planner_gateway.relay.messages) as contract v1 §8 messages;
the mapping is in docs/websocket.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from planner_gateway.v1 import ids, units

CARD_AGENTS = {"demand": "Demand Agent", "inventory": "Inventory Agent", "pricing": "Pricing Agent"}


def timestamp(at: datetime | None = None) -> str:
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _stamp(raw: Any) -> str:
    try:
        return timestamp(datetime.fromisoformat(str(raw)))
    except ValueError:
        return timestamp()


@dataclass
class StreamContext:
    """What one v1 connection remembers to translate the next message."""

    v1_id: str
    markdown_enabled: bool
    holdback_fraction: float
    executed_at: datetime | None
    completed_sent: bool = False
    progress: dict[str, int] = field(default_factory=dict)
    started: dict[str, datetime] = field(default_factory=dict)

    def complete(self, at: datetime | None = None) -> dict[str, Any]:
        self.completed_sent = True
        now = at or datetime.now(UTC)
        duration = (now - self.executed_at).total_seconds() if self.executed_at else 0.0
        return {
            "type": "workflow_complete",
            "workflow_id": self.v1_id,
            "timestamp": timestamp(now),
            "duration_seconds": round(max(duration, 0.0), 3),
            "result": {
                "forecast_id": ids.forecast_id(self.v1_id),
                "allocation_id": ids.allocation_id(self.v1_id),
                "markdown_id": ids.markdown_id(self.v1_id) if self.markdown_enabled else None,
            },
        }


def _human_input_data(message: dict[str, Any], ctx: StreamContext) -> dict[str, Any]:
    data = dict(message.get("data") or {})
    if message.get("kind") == "manufacturing":
        quantity = int(data.get("quantity", 0))
        lines = data.get("lines") or []
        safety = (
            sum(float(line.get("safety_stock_pct", 0.0)) for line in lines) / len(lines)
            if lines
            else 0.0
        )
        holdback = round(quantity * ctx.holdback_fraction)
        return data | {
            "manufacturing_qty": quantity,
            "initial_allocation": quantity - holdback,
            "holdback": holdback,
            "safety_stock_pct": units.fraction(safety),
        }
    if message.get("kind") == "markdown":
        return data | {
            "recommended_markdown_pct": units.fraction(float(data.get("percentage", 0.0))),
            "sell_through_pct": data.get("sell_through"),
            "target_sell_through_pct": data.get("target"),
            "elasticity_coefficient": data.get("elasticity"),
        }
    return data


def _completed(message: dict[str, Any], ctx: StreamContext, agent: str, at: str) -> dict[str, Any]:
    """An agent's card done: at 100 %, with how long it ran since it started."""
    ctx.progress[agent] = 100
    began = ctx.started.pop(agent, None)
    ended = datetime.fromisoformat(at.replace("Z", "+00:00"))
    duration = (ended - began).total_seconds() if began else 0.0
    result = message.get("result")
    return {
        "type": "agent_completed",
        "agent": agent,
        "duration_seconds": round(max(duration, 0.0), 3),
        "result": result if isinstance(result, dict) else None,
        "message": message.get("message"),
    }


def _progress(message: dict[str, Any], ctx: StreamContext, agent: str) -> dict[str, Any]:
    """A progress line; the card keeps its last percentage when the message gives none."""
    pct = message.get("progress_pct")
    if isinstance(pct, int | float):
        ctx.progress[agent] = int(max(0, min(100, round(pct))))
    return {
        "type": "agent_progress",
        "agent": agent,
        "message": str(message.get("message") or ""),
        "progress_pct": ctx.progress.get(agent, 0),
    }


def translate(message: dict[str, Any], ctx: StreamContext) -> list[dict[str, Any]]:
    """The v1 messages (none, one or two) for one `/ws` message."""
    kind = message.get("type")
    agent_key = message.get("agent_key")
    agent = CARD_AGENTS.get(agent_key or "", message.get("agent") or "Orchestrator")
    at = _stamp(message.get("timestamp"))
    base = {"workflow_id": ctx.v1_id, "timestamp": at}
    if kind == "agent_started":
        ctx.progress[agent] = 0
        ctx.started[agent] = datetime.fromisoformat(at.replace("Z", "+00:00"))
        return [base | {"type": "agent_started", "agent": agent, "message": message.get("message")}]
    if kind == "agent_completed":
        return [base | _completed(message, ctx, agent, at)]
    if kind == "human_input_required":
        return [
            base
            | {
                "type": "human_input_required",
                "agent": agent,
                "action": message.get("action"),
                "data": _human_input_data(message, ctx),
                "options": ["modify", "accept"],
                "message": message.get("message"),
            }
        ]
    if kind == "error":
        return [
            base
            | {
                "type": "error",
                "agent": CARD_AGENTS.get(agent_key or ""),
                "error_message": str(message.get("error_message") or message.get("message")),
            }
        ]
    out: list[dict[str, Any]] = []
    if kind in ("agent_progress", "workflow_complete"):
        out.append(base | _progress(message, ctx, agent))
    data = message.get("data") or {}
    if (
        message.get("event_type") == "workflow.state_changed"
        and data.get("to_state") in {s.value for s in units.PRE_SEASON_DONE}
        and not ctx.completed_sent
    ):
        out.append(ctx.complete(datetime.fromisoformat(at.replace("Z", "+00:00"))))
    return out
