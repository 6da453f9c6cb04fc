"""Every unit, enum and state translation between contract v1 and `/api`, in one place.

| quantity | v1 (the client) | `/api` and the domain |
|---|---|---|
| `dc_holdback_percentage` | fraction 0-1 | percent 0-100 |
| `replenishment_strategy` | `none`, `weekly`, `bi-weekly` | `none`, `weekly`, `bi_weekly` |
| extraction `confidence` | `high`, `medium`, `low` | a number 0-1 (and `confidence_level`) |
| cluster `allocation_percentage`, variance | percent | fraction |
| safety stock | fraction | percent |
| markdown percentages | fraction | percent (the approval's value) |
| workflow status | pending, running, awaiting_approval, completed, failed | docs/workflow.md |
"""

from __future__ import annotations

from typing import Literal

from planner_shared.workflow import WorkflowState

V1Status = Literal["pending", "running", "awaiting_approval", "completed", "failed"]
V1Strategy = Literal["none", "weekly", "bi-weekly"]

_STRATEGY_TO_DOMAIN = {"none": "none", "weekly": "weekly", "bi-weekly": "bi_weekly"}
# The client labels any value it does not know "Bi-weekly"; the underscore spelling is ours.
_STRATEGY_ALIASES = {"bi_weekly": "bi_weekly", "biweekly": "bi_weekly"}

S = WorkflowState
# Pre-season planning is what a v1 workflow is: it is `completed` once the allocation is done
# and the season runs (in season and after); the in-season states are `completed` too.
_STATUS: dict[WorkflowState, V1Status] = {
    S.CREATED: "running",
    S.EXTRACTING: "running",
    S.FORECASTING: "running",
    S.AWAITING_MANUFACTURING_APPROVAL: "awaiting_approval",
    S.ALLOCATING: "running",
    S.IN_SEASON: "completed",
    S.REFORECASTING: "completed",
    S.AWAITING_MARKDOWN_APPROVAL: "completed",
    S.COMPLETED: "completed",
    S.FAILED: "failed",
    S.CANCELLED: "failed",
}
PRE_SEASON_DONE = frozenset(s for s, v in _STATUS.items() if v == "completed")

# A v1 workflow's progress bar (`progress_pct` of GET /workflows/{id}), by domain state.
_PROGRESS: dict[WorkflowState, int] = {
    S.CREATED: 5,
    S.EXTRACTING: 10,
    S.FORECASTING: 33,
    S.AWAITING_MANUFACTURING_APPROVAL: 66,
    S.ALLOCATING: 85,
}


def strategy_to_domain(value: str) -> str:
    """The domain's spelling of a v1 strategy; raises ValueError naming the accepted ones."""
    key = value.strip().lower()
    if key in _STRATEGY_TO_DOMAIN:
        return _STRATEGY_TO_DOMAIN[key]
    if key in _STRATEGY_ALIASES:
        return _STRATEGY_ALIASES[key]
    raise ValueError("replenishment_strategy must be none, weekly or bi-weekly")


def strategy_to_v1(value: str) -> V1Strategy:
    return "bi-weekly" if value == "bi_weekly" else "none" if value == "none" else "weekly"


def holdback_to_domain(fraction: float) -> float:
    return round(fraction * 100.0, 6)


def holdback_to_v1(percent: float) -> float:
    return round(percent / 100.0, 6)


def percent(fraction: float) -> float:
    """A fraction as the client's percent, rounded to 0.01."""
    return round(fraction * 100.0, 2)


def fraction(percent_value: float) -> float:
    """A domain percent as the client's fraction."""
    return round(percent_value / 100.0, 6)


def status(state: WorkflowState | str) -> V1Status:
    return _STATUS[WorkflowState(state)]


def progress_pct(state: WorkflowState | str) -> int:
    return _PROGRESS.get(WorkflowState(state), 100)


def confidence_level(value: str) -> Literal["high", "medium", "low"]:
    return "high" if value == "high" else "medium" if value == "medium" else "low"
