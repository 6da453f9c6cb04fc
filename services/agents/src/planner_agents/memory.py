"""The workflow's memory: what the orchestrator has learnt of a season, between its events.

Stored in `workflows.context` (JSONB) and owned by the agents service: only the orchestrator
reads or writes it. Other services get what they need from the events' payloads.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from planner_shared.db.models import Workflow
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
    allocation: AllocationCompletedPayload | None = None
    variance_by_week: dict[int, float] = Field(
        default_factory=dict, description="Each week's total variance, as last checked."
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


def memory_of(workflow: Workflow) -> WorkflowMemory:
    return WorkflowMemory.model_validate(workflow.context or {})


def remember(workflow: Workflow, memory: WorkflowMemory) -> None:
    # Reassign, not mutate: SQLAlchemy only notices a new JSONB value.
    workflow.context = memory.model_dump(mode="json", exclude_defaults=True)
