"""Workflow commands and views.

Field names follow the Phase 3 stories and Phase 2 frontend of
boyangwan12/multiagent-retail-independent-study where they overlap: `workflow_id`, `status`
(the same value as `state`), `websocket_url`, `error_message`, `current_agent`, and a single
`category_id` accepted beside `category_codes`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from planner_gateway.schemas.overrides import OverrideCreate
from planner_shared.parameters import SeasonParameters
from planner_shared.season_names import MAX_NAME_LENGTH
from planner_shared.workflow import WorkflowState

EXAMPLE_WORKFLOW_ID = "0b7f7a52-3f5e-4f43-9d0e-8a5c2f1f6a10"
EXAMPLE_PARAMETERS: dict[str, Any] = {
    "forecast_horizon_weeks": 12,
    "season_start_date": "2027-03-01",
    "replenishment_strategy": "weekly",
    "dc_holdback_percentage": 45.0,
    "markdown_checkpoint_week": 6,
    "markdown_threshold": 0.6,
}
EXAMPLE_BRIEF = (
    "Plan the 12-week spring season starting March 1, replenish weekly, keep 45% at the DC, "
    "check markdowns at week 6 if sell-through is under 60%"
)
EXAMPLE_SUMMARY: dict[str, Any] = {
    "workflow_id": EXAMPLE_WORKFLOW_ID,
    "name": "Spring 2027 womenswear",
    "state": "in_season",
    "status": "in_season",
    "created_by": "dev-planner",
    "season_start_date": "2027-03-01",
    "forecast_horizon_weeks": 12,
    "waiting_for": None,
    "error": None,
    "created_at": "2027-02-20T09:00:00Z",
    "updated_at": "2027-03-09T08:00:00Z",
    "completed_at": None,
}


class WorkflowCreate(BaseModel):
    """Start a season: from a brief (extracted by the workflow) or from confirmed parameters."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"parameters": EXAMPLE_PARAMETERS, "category_codes": ["DRESS", "KNIT"]},
                {"brief": EXAMPLE_BRIEF},
                {"name": "Spring 2027 womenswear", "parameters": EXAMPLE_PARAMETERS},
            ]
        },
    )

    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        description="What to call the season. Omitted: the brief's title (\"Spring 2026 "
        'womenswear"), else the season its start falls in ("Spring 2027").',
    )
    brief: str | None = Field(default=None, min_length=1, max_length=20_000)
    parameters: SeasonParameters | None = Field(
        default=None, description="Confirmed parameters; they take precedence over the brief."
    )
    category_codes: list[str] | None = Field(
        default=None,
        min_length=1,
        description="Categories to plan; every known category when omitted.",
    )
    category_id: str | None = Field(
        default=None, description="A single category code (the Phase 2 frontend's field)."
    )
    forecast_overrides: list[OverrideCreate] = Field(
        default_factory=list,
        max_length=50,
        description="Forecast overrides made with the season (the brief's proposals the planner "
        "accepted): stored with it, so run 1 sizes the order on them (docs/overrides.md). "
        "They need `parameters`.",
    )

    @model_validator(mode="after")
    def _brief_or_parameters(self) -> Self:
        if self.brief is None and self.parameters is None:
            raise ValueError("give either a brief or confirmed parameters")
        return self

    def categories(self) -> list[str] | None:
        codes = list(self.category_codes or [])
        if self.category_id and self.category_id not in codes:
            codes.append(self.category_id)
        return sorted(set(codes)) or None


class WorkflowCreated(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workflow_id": EXAMPLE_WORKFLOW_ID,
                    "state": "created",
                    "status": "created",
                    "websocket_url": f"ws://localhost:8000/ws/workflows/{EXAMPLE_WORKFLOW_ID}",
                    "event_id": "5d9e1c1e-0a8e-4c59-9d55-2b8f4c1d9a77",
                }
            ]
        }
    )

    workflow_id: UUID
    state: WorkflowState
    status: WorkflowState = Field(description="Same as `state`.")
    websocket_url: str = Field(
        description="Follow the workflow here; add `?token=<key>` and `&since=start` to "
        "receive its events from the first one."
    )
    event_id: UUID = Field(description="The workflow.requested event.")


class ReforecastCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"workflow_id": EXAMPLE_WORKFLOW_ID, "reason": "a competitor closed two stores"}
            ]
        },
    )

    workflow_id: UUID
    reason: str = Field(min_length=1, max_length=1000)


class CancelCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "season plan withdrawn"}]}
    )

    reason: str | None = Field(default=None, max_length=1000)


class CommandAccepted(BaseModel):
    """The command is committed and will be published; the workflow reacts asynchronously."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workflow_id": EXAMPLE_WORKFLOW_ID,
                    "state": "in_season",
                    "event_id": "c2b0a1f4-8f0e-4a53-a4a8-6a3d0c9f2e11",
                    "event_type": "workflow.reforecast_requested",
                }
            ]
        }
    )

    workflow_id: UUID
    state: WorkflowState = Field(description="The state when the command was accepted.")
    event_id: UUID
    event_type: str


class WorkflowRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workflow_id": EXAMPLE_WORKFLOW_ID,
                    "name": "Spring 2027 womenswear",
                    "state": "awaiting_manufacturing_approval",
                    "status": "awaiting_manufacturing_approval",
                    "brief": EXAMPLE_BRIEF,
                    "parameters": EXAMPLE_PARAMETERS | {"season_end_date": "2027-05-23"},
                    "category_codes": None,
                    "pending_input": {
                        "kind": "manufacturing",
                        "approval_id": "1f0e8f2a-6c55-4f0b-9b39-1d1c8f0a4e21",
                        "proposed_value": 10450,
                    },
                    "current_agent": "inventory",
                    "error": None,
                    "error_message": None,
                    "created_by": "dev-planner",
                    "created_at": "2027-02-20T09:00:00Z",
                    "updated_at": "2027-02-20T09:01:12Z",
                    "completed_at": None,
                    "websocket_url": f"ws://localhost:8000/ws/workflows/{EXAMPLE_WORKFLOW_ID}",
                }
            ]
        }
    )

    workflow_id: UUID
    name: str | None = Field(default=None, description="What a person calls the season.")
    state: WorkflowState
    status: WorkflowState = Field(description="Same as `state`.")
    brief: str | None
    parameters: dict[str, Any] | None
    extraction: dict[str, Any] | None = None
    category_codes: list[str] | None
    pending_input: dict[str, Any] | None = Field(
        description="The human decision the workflow waits for, if any."
    )
    current_agent: str | None = Field(description="The agent working now, if any.")
    error: str | None
    error_message: str | None = Field(description="Same as `error`.")
    created_by: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    websocket_url: str


class WorkflowSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_SUMMARY]})

    workflow_id: UUID
    name: str | None = Field(default=None, description="What a person calls the season.")
    state: WorkflowState
    status: WorkflowState
    created_by: str
    season_start_date: str | None
    forecast_horizon_weeks: int | None
    waiting_for: str | None = Field(description="The kind of decision pending, if any.")
    error: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


class WorkflowPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [EXAMPLE_SUMMARY],
                    "total": 1,
                    "limit": 20,
                    "offset": 0,
                    "next_cursor": None,
                }
            ]
        }
    )

    items: list[WorkflowSummary]
    total: int = Field(description="Workflows matching the filter.")
    limit: int
    offset: int | None = Field(description="The offset used (null when paging by cursor).")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
