"""The workflow's memory: what the orchestrator has learnt of a season, between its events.

Stored in `workflows.context` (JSONB) and owned by the agents service: only the orchestrator
reads or writes it, loaded and saved whole with its season (repository.py).
Other services get what they need from the events' payloads.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from planner_shared.events import (
    AllocationCompletedPayload,
    ForecastCompletedPayload,
    SellThroughComputedPayload,
    VarianceCheckedPayload,
)


class WorkflowMemory(BaseModel):
    model_config = ConfigDict(validate_assignment=True)

    run_number: int = Field(
        default=0,
        description="The newest forecast run requested; the orchestrator alone numbers runs.",
    )
    forecast: ForecastCompletedPayload | None = Field(
        default=None, description="The newest completed run the season follows."
    )
    manufacturing_quantity: int | None = None
    manufacturing_lines: dict[str, int] | None = Field(
        default=None, description="The decided units per category (None before lines)."
    )
    allocation: AllocationCompletedPayload | None = None
    variance_by_week: dict[int, float] = Field(
        default_factory=dict, description="Each week's total variance, as last checked."
    )
    reforecast_weeks: dict[int, int] = Field(
        default_factory=dict,
        description="Week -> the re-forecast run its check (or its correction) started.",
    )
    last_week: int = Field(default=0, description="The latest week whose actuals are in.")
    latest_variance: VarianceCheckedPayload | None = None
    season_over: bool = Field(default=False, description="The last week's actuals are in.")
    sell_through: SellThroughComputedPayload | None = None
    markdown_pending: bool = Field(
        default=False, description="A checkpoint waits for the re-forecast under way."
    )
    markdown_done: bool = False
    markdown_percentage: float | None = None
    markdown_lines: dict[str, float] = Field(
        default_factory=dict, description="The decided depth of each category, when by lines."
    )
