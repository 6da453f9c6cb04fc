"""Chart-ready reads for the console: one row per week, units named, shares as fractions.

Units follow `planner_shared.parameters`: `_pct` is percent (0-100), `_fraction` a fraction
(0-1); each carries `x-unit` in its schema.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from planner_shared.parameters import FRACTION_SCHEMA, PERCENT_SCHEMA

TOTAL = "TOTAL"


class WeekPoint(BaseModel):
    """One week of one series (a category or TOTAL)."""

    week_number: int
    week_start: date | None
    forecast_units: float | None = Field(
        description="The forecast in force for this week: the newest run made before it."
    )
    forecast_run_number: int | None
    lower_80: float | None
    upper_80: float | None
    lower_95: float | None
    upper_95: float | None
    planned_units: float | None = Field(description="The initial forecast (run 1) for the week.")
    actual_units: float | None = Field(description="Units sold; null until the week is in.")
    cumulative_actual_units: float | None
    sell_through_fraction: float | None = Field(
        description="Units sold up to this week over the manufactured units (stores + DC).",
        json_schema_extra=FRACTION_SCHEMA,
    )


class Accuracy(BaseModel):
    """Forecast accuracy over the weeks in so far, against the forecast in force each week."""

    weeks: int
    forecast_units: float
    actual_units: float
    wape_fraction: float | None = Field(
        description="sum |actual - forecast| / sum actual.", json_schema_extra=FRACTION_SCHEMA
    )
    bias_fraction: float | None = Field(
        description="(sum forecast - sum actual) / sum actual: above 0 the forecast ran high.",
        json_schema_extra=FRACTION_SCHEMA,
    )


class Series(BaseModel):
    key: str = Field(description="Category code, or TOTAL.")
    name: str
    manufactured_units: int | None
    points: list[WeekPoint]
    accuracy: Accuracy


class VarianceMark(BaseModel):
    week_number: int
    variance_fraction: float = Field(json_schema_extra=FRACTION_SCHEMA)
    threshold_fraction: float = Field(json_schema_extra=FRACTION_SCHEMA)
    exceeded: bool
    by_category_fraction: dict[str, float] = Field(json_schema_extra=FRACTION_SCHEMA)
    exceeded_categories: list[str]
    reforecast_run_number: int | None = Field(description="The re-forecast this week started.")


class RunMark(BaseModel):
    run_number: int
    reason: str
    after_week: int = Field(description="Weeks of actuals the run was fitted with (0: initial).")
    season_total: float
    created_at: datetime


class WeeklyChart(BaseModel):
    """Actual against forecast per week, by category and in total, with what happened."""

    workflow_id: UUID
    horizon_weeks: int
    weeks_in: list[int]
    checkpoint_week: int
    target_sell_through_fraction: float = Field(json_schema_extra=FRACTION_SCHEMA)
    variance_threshold_fraction: float | None = Field(json_schema_extra=FRACTION_SCHEMA)
    series: list[Series]
    variance: list[VarianceMark]
    runs: list[RunMark]


class HistoryPoint(BaseModel):
    week_start: date
    units: float


class ForecastCurvePoint(BaseModel):
    week_number: int
    week_start: date
    forecast_units: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float


class CategoryForecastChart(BaseModel):
    category_code: str
    category_name: str
    run_number: int
    method: str
    season_total: float
    weights: dict[str, float] = Field(description="The ensemble's weight per model (sum 1).")
    backtest_errors: dict[str, float] = Field(
        description="Each model's backtest WAPE, a fraction.", json_schema_extra=FRACTION_SCHEMA
    )
    history: list[HistoryPoint] = Field(description="Weekly sales before the season, all stores.")
    forecast: list[ForecastCurvePoint]


class ForecastChart(BaseModel):
    workflow_id: UUID
    run_number: int | None
    categories: list[CategoryForecastChart]


class ClusterColumn(BaseModel):
    cluster_name: str
    store_count: int
    initial_units: int
    replenishment_units: int
    by_category: dict[str, int]


class DcWeek(BaseModel):
    week_number: int
    shipped_units: int = Field(description="Replenishment sent to stores that week.")
    dc_units: int = Field(description="Left at the DC after that week's replenishment.")
    by_category: dict[str, int] = Field(description="Left at the DC, per category.")


class AllocationChart(BaseModel):
    workflow_id: UUID
    manufactured_units: int | None
    initial_units: int
    holdback_units: int | None
    dc_holdback_pct: float | None = Field(json_schema_extra=PERCENT_SCHEMA)
    clusters: list[ClusterColumn]
    dc_by_week: list[DcWeek]


class StoreCategoryDetail(BaseModel):
    category_code: str
    initial_units: int
    replenishment_by_week: dict[int, int]
    actual_by_week: dict[int, int]
    sold_units: int
    received_units: int
    sell_through_fraction: float | None = Field(
        description="Sold over received (initial plus replenishment).",
        json_schema_extra=FRACTION_SCHEMA,
    )


class StoreDetail(BaseModel):
    workflow_id: UUID
    store_code: str
    store_name: str
    region: str
    format: str
    size_sqft: int
    cluster_name: str | None
    categories: list[StoreCategoryDetail]


class MarkdownCategoryProjection(BaseModel):
    category_code: str
    elasticity: float
    unit_price: float
    available_units: int
    sold_units: float
    baseline_units: float = Field(description="Sold by the end of the season without markdown.")
    projected_units: float = Field(description="Sold by the end with the markdown.")
    baseline_sell_through_fraction: float = Field(json_schema_extra=FRACTION_SCHEMA)
    projected_sell_through_fraction: float = Field(json_schema_extra=FRACTION_SCHEMA)
    baseline_revenue: float
    projected_revenue: float


class MarkdownProjection(BaseModel):
    """What a markdown is expected to do by the end of the season."""

    workflow_id: UUID
    markdown_pct: float = Field(json_schema_extra=PERCENT_SCHEMA)
    checkpoint_week: int
    sell_through_fraction: float = Field(
        description="Sell-through so far.", json_schema_extra=FRACTION_SCHEMA
    )
    target_sell_through_fraction: float = Field(json_schema_extra=FRACTION_SCHEMA)
    baseline_sell_through_fraction: float = Field(json_schema_extra=FRACTION_SCHEMA)
    projected_sell_through_fraction: float = Field(json_schema_extra=FRACTION_SCHEMA)
    baseline_revenue: float
    projected_revenue: float
    method: str
    categories: list[MarkdownCategoryProjection]


Phase = Literal["pre_season", "in_season", "completed", "failed", "cancelled"]


class WaitingFor(BaseModel):
    who: Literal["approver", "planner", "system"]
    what: str


class SeasonOverview(BaseModel):
    """A season at a glance: where it is, how far, and who must act next."""

    workflow_id: UUID
    state: str
    phase: Phase
    created_by: str
    created_at: datetime
    season_start_date: date | None
    horizon_weeks: int | None
    weeks_in: int
    progress_fraction: float = Field(
        description="Weeks of actuals in over the season's weeks.",
        json_schema_extra=FRACTION_SCHEMA,
    )
    pre_season_planning_done: bool = Field(
        description="Forecast, order decided and initial allocation made: the season can run."
    )
    pre_season_planning_done_at: datetime | None
    waiting_for: WaitingFor | None
    error: str | None


class SeasonList(BaseModel):
    items: list[SeasonOverview]
