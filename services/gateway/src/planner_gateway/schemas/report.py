"""The season report: planned against what happened, accuracy, and who decided what."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from planner_gateway.schemas.replay import ReplayReport
from planner_gateway.schemas.resources import _examples, example_of
from planner_gateway.schemas.stock import SeasonMoney
from planner_shared.parameters import FRACTION_SCHEMA


class CategoryOutcome(BaseModel):
    model_config = _examples(
        {
            "category_code": "TOTAL",
            "category_name": "All categories",
            "planned_units": 76969.0,
            "final_forecast_units": 79391.0,
            "recommended_units": 75283,
            "manufactured_units": 85000,
            "actual_units": 80102.0,
            "weeks_in": 12,
            "sell_through_fraction": 0.9424,
            "wape_fraction": 0.0812,
            "bias_fraction": -0.0309,
        }
    )

    category_code: str = Field(description="A category code, or TOTAL.")
    category_name: str
    planned_units: float | None = Field(description="Season forecast of the initial run.")
    final_forecast_units: float | None = Field(
        description="Season forecast of the newest run (weeks in as sold, the rest forecast)."
    )
    recommended_units: int | None
    manufactured_units: int | None
    actual_units: float
    weeks_in: int
    sell_through_fraction: float | None = Field(
        description="Units sold over units the season held (the order, the DC's stock on hand "
        "and stock adjustments).",
        json_schema_extra=FRACTION_SCHEMA,
    )
    wape_fraction: float | None = Field(
        description="sum |actual - forecast| / sum actual over the weeks in, against the "
        "forecast in force each week.",
        json_schema_extra=FRACTION_SCHEMA,
    )
    bias_fraction: float | None = Field(
        description="(sum forecast - sum actual) / sum actual: above 0 the forecast ran high.",
        json_schema_extra=FRACTION_SCHEMA,
    )


class DecisionLine(BaseModel):
    model_config = _examples(
        {
            "kind": "manufacturing",
            "status": "decided",
            "unit": "units",
            "proposed_value": 75283,
            "min_value": 60227,
            "max_value": 90339,
            "action": "modify",
            "decided_value": 85000,
            "reason": "outerwear promotion in week 3",
            "decided_by": "dev-approver",
            "decided_at": "2027-02-20T09:05:00Z",
        }
    )

    kind: str
    status: str
    unit: Literal["units", "percent"]
    proposed_value: float
    min_value: float
    max_value: float
    action: str | None
    decided_value: float | None
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    proposed_lines: dict[str, float] = Field(
        default_factory=dict, description="Per category, what was proposed (units or depth)."
    )
    decided_lines: dict[str, float] = Field(
        default_factory=dict,
        description="Per category, what was decided: the order's units (the lines the "
        "approver set, or the decided total split by the proposal's shares) or the markdown's "
        "depth; empty when one markdown depth was decided for every category.",
    )


class ReforecastLine(BaseModel):
    model_config = _examples(
        {
            "run_number": 2,
            "reason": "variance",
            "after_week": 4,
            "season_total": 79274.0,
            "created_at": "2027-03-29T08:00:12Z",
        }
    )

    run_number: int
    reason: str
    after_week: int
    season_total: float
    created_at: datetime


class CheckpointLine(BaseModel):
    """The markdown checkpoint's sell-through against its target, and what followed."""

    model_config = _examples(
        {
            "week_number": 8,
            "sell_through_fraction": 0.65,
            "target_sell_through_fraction": 0.55,
            "below_target": False,
            "at": "2027-04-26T08:00:05Z",
            "note": "checkpoint week 8: 65.0 % against 55 %, no markdown",
        }
    )

    week_number: int
    sell_through_fraction: float = Field(json_schema_extra=FRACTION_SCHEMA)
    target_sell_through_fraction: float = Field(json_schema_extra=FRACTION_SCHEMA)
    below_target: bool
    at: datetime
    note: str = Field(description="The line as the Markdown tab writes it.")


class SeasonReport(BaseModel):
    model_config = _examples(
        {
            "workflow_id": "d705839e-5c98-45bf-9d24-a320b1f67e61",
            "state": "completed",
            "created_by": "dev-planner",
            "created_at": "2027-02-20T09:00:00Z",
            "completed_at": "2027-05-24T08:00:00Z",
            "parameters": {"forecast_horizon_weeks": 12, "dc_holdback_percentage": 45.0},
            "horizon_weeks": 12,
            "weeks_in": 12,
            "categories": [example_of(CategoryOutcome)],
            "decisions": [example_of(DecisionLine)],
            "forecast_runs": [example_of(ReforecastLine)],
            "weeks_over_threshold": [4],
            "money": example_of(SeasonMoney),
            "name": "Spring 2025 womenswear",
            "replay": None,
            "checkpoint": example_of(CheckpointLine),
        }
    )

    workflow_id: UUID
    name: str | None = Field(default=None, description="What a person calls the season.")
    state: str
    created_by: str
    created_at: datetime
    completed_at: datetime | None
    parameters: dict[str, Any] | None
    horizon_weeks: int
    weeks_in: int
    categories: list[CategoryOutcome] = Field(description="TOTAL first, then each category.")
    decisions: list[DecisionLine]
    forecast_runs: list[ReforecastLine]
    weeks_over_threshold: list[int]
    money: SeasonMoney | None = Field(
        default=None,
        description="Revenue, margin, markdown cost, leftover value and GMROI, planned against "
        "actual, from the stock ledger; null before the order is allocated.",
    )
    replay: ReplayReport | None = Field(
        default=None,
        description="For a past season replayed from the history: the plan against what "
        "happened, labelled as the replay's figures; null for a season that was not replayed.",
    )
    checkpoint: CheckpointLine | None = Field(
        default=None,
        description="The markdown checkpoint once it is passed (a markdown proposed or not); "
        "null before it or in a season without one.",
    )
