"""`/ws` messages as contract v1 §8 messages (planner_gateway.v1.messages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from planner_gateway.v1.messages import StreamContext, translate

AT = "2026-12-02T06:00:00+00:00"


def _ctx(markdown: bool = True) -> StreamContext:
    return StreamContext(
        v1_id="wf_0123456789ab",
        markdown_enabled=markdown,
        holdback_fraction=0.45,
        executed_at=datetime(2026, 12, 2, 5, 59, tzinfo=UTC),
    )


def _ws(message_type: str, **fields: Any) -> dict[str, Any]:
    return {"type": message_type, "timestamp": AT, "workflow_id": "uuid", "event_id": "e"} | fields


def test_an_agent_run_keeps_a_numeric_progress_and_its_duration() -> None:
    ctx = _ctx()
    [started] = translate(_ws("agent_started", agent_key="demand", agent="Demand Agent"), ctx)
    assert started == {
        "type": "agent_started",
        "workflow_id": "wf_0123456789ab",
        "timestamp": "2026-12-02T06:00:00.000Z",
        "agent": "Demand Agent",
        "message": None,
    }
    [step] = translate(_ws("agent_progress", agent_key="demand", progress_pct=40), ctx)
    assert (step["agent"], step["progress_pct"]) == ("Demand Agent", 40)
    # A step without a figure repeats the last one: the client's bar needs a number.
    [plain] = translate(_ws("agent_progress", agent_key="demand", progress_pct=None), ctx)
    assert plain["progress_pct"] == 40
    later = (datetime.fromisoformat(AT) + timedelta(seconds=12.5)).isoformat()
    [done] = translate(
        {**_ws("agent_completed", agent_key="demand", result={"total": 5}), "timestamp": later},
        ctx,
    )
    assert (done["duration_seconds"], done["result"]) == (12.5, {"total": 5})


def test_human_input_gets_fractions_and_the_split() -> None:
    message = _ws(
        "human_input_required",
        agent_key="inventory",
        action="approve_manufacturing_order",
        kind="manufacturing",
        data={"quantity": 1000, "lines": [{"safety_stock_pct": 15.0}, {"safety_stock_pct": 25.0}]},
    )
    [ask] = translate(message, _ctx())
    assert ask["agent"] == "Inventory Agent"
    assert ask["options"] == ["modify", "accept"]
    data = ask["data"]
    assert (data["manufacturing_qty"], data["holdback"], data["initial_allocation"]) == (
        1000,
        450,
        550,
    )
    assert data["safety_stock_pct"] == 0.2


def test_pre_season_done_sends_workflow_complete_once_with_the_ids() -> None:
    ctx = _ctx(markdown=False)
    change = _ws(
        "agent_progress",
        agent_key=None,
        agent="Orchestrator",
        event_type="workflow.state_changed",
        data={"from_state": "allocating", "to_state": "in_season"},
    )
    progress, complete = translate(change, ctx)
    assert progress["agent"] == "Orchestrator"
    assert complete["type"] == "workflow_complete"
    assert complete["result"] == {
        "forecast_id": "fc_0123456789ab",
        "allocation_id": "al_0123456789ab",
        "markdown_id": None,
    }
    assert complete["duration_seconds"] == 60.0
    # Later state changes, and the season's own end, send no second one.
    again = _ws(
        "agent_progress",
        event_type="workflow.state_changed",
        data={"from_state": "in_season", "to_state": "completed"},
    )
    assert [m["type"] for m in translate(again, ctx)] == ["agent_progress"]
    end = _ws("workflow_complete", agent_key="orchestrator", message="season over")
    assert [m["type"] for m in translate(end, ctx)] == ["agent_progress"]


def test_errors_name_a_card_or_none() -> None:
    [card] = translate(_ws("error", agent_key="pricing", error_message="no elasticity"), _ctx())
    assert (card["agent"], card["error_message"]) == ("Pricing Agent", "no elasticity")
    [other] = translate(_ws("error", agent_key=None, agent="Forecast Engine", message="x"), _ctx())
    assert other["agent"] is None
    assert other["error_message"] == "x"
