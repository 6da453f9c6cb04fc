"""The season report: planned against what happened, accuracy, and who decided what."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from planner_shared.parameters import FRACTION_SCHEMA


class CategoryOutcome(BaseModel):
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
    sell_through_fraction: float | None = Field(json_schema_extra=FRACTION_SCHEMA)
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


class ReforecastLine(BaseModel):
    run_number: int
    reason: str
    after_week: int
    season_total: float
    created_at: datetime


class SeasonReport(BaseModel):
    workflow_id: UUID
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
