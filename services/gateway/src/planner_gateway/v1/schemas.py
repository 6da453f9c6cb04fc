"""Request and answer shapes of contract v1 (docs/frontend-v1.md).

Names, types and units are the client's (§ numbers are the contract's sections, listed in
docs/frontend-v1.md). Units are translated in `units.py`; these models only say what goes on
the wire.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from planner_gateway.v1.units import V1Status, V1Strategy

Confidence = Literal["high", "medium", "low"]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- §5 extraction
class ExtractBody(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"user_input": "12-week spring season from March 3"}]},
    )

    user_input: str = Field(min_length=10, max_length=1000)


class V1Parameters(BaseModel):
    """The seven parameters as the client shows and sends them (holdback as a fraction)."""

    model_config = ConfigDict(extra="ignore")

    forecast_horizon_weeks: int = Field(ge=1, le=52)
    season_start_date: date
    season_end_date: date | None = None
    replenishment_strategy: str = Field(description="none, weekly or bi-weekly")
    dc_holdback_percentage: float = Field(ge=0, le=1, description="Fraction 0-1.")
    markdown_checkpoint_week: int | None = Field(default=None, ge=1, le=52)
    markdown_threshold: float | None = Field(default=None, ge=0, le=1, description="Fraction.")


class ExtractedParameters(_Answer):
    forecast_horizon_weeks: int
    season_start_date: str
    season_end_date: str
    replenishment_strategy: V1Strategy
    dc_holdback_percentage: float
    markdown_checkpoint_week: int | None
    markdown_threshold: float | None


class ExtractAnswer(_Answer):
    parameters: ExtractedParameters
    confidence: Confidence
    reasoning: str
    raw_llm_output: str | None = None


# ---------------------------------------------------------------- §6, §7, §22 workflows
class CreateBody(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "parameters": {
                        "forecast_horizon_weeks": 12,
                        "season_start_date": "2025-03-03",
                        "season_end_date": "2025-05-26",
                        "replenishment_strategy": "weekly",
                        "dc_holdback_percentage": 0.45,
                        "markdown_checkpoint_week": 6,
                        "markdown_threshold": 0.6,
                        "extraction_confidence": "high",
                        "extraction_reasoning": "all stated",
                    },
                    "category_id": "womens_dresses",
                }
            ]
        },
    )

    parameters: V1Parameters
    category_id: str | None = None


class Created(_Answer):
    workflow_id: str
    status: V1Status
    websocket_url: str


class WorkflowStatus(_Answer):
    workflow_id: str
    workflow_type: Literal["forecast", "reforecast"]
    status: V1Status
    current_agent: str | None
    progress_pct: int
    started_at: datetime | None
    updated_at: datetime | None
    completed_at: datetime | None
    error_message: str | None


class WorkflowResults(_Answer):
    workflow_id: str
    status: Literal["completed", "failed"]
    forecast_id: str | None
    allocation_id: str | None
    markdown_id: str | None
    output_data: dict[str, Any]
    error_message: str | None


# ---------------------------------------------------------------- §9, §11 forecasts
class CurveWeek(_Answer):
    week_number: int
    week_start_date: date
    week_end_date: date
    forecasted_units: float
    demand_units: float
    confidence_lower: float
    confidence_upper: float
    actual_units: float | None
    variance_pct: float | None = Field(description="(actual - forecast) / forecast, percent.")


class ForecastAnswer(_Answer):
    forecast_id: str
    workflow_id: str
    category_id: str
    category_name: str
    season: str
    season_start_date: date
    season_end_date: date
    total_season_demand: float
    weekly_demand_curve: list[CurveWeek]
    forecasting_method: str
    prophet_forecast: float | None
    arima_forecast: float | None
    peak_week: int
    adaptation_reasoning: str
    season_parameters: dict[str, Any]
    safety_stock_pct: float | None = Field(description="Fraction.")
    cluster_distribution: dict[str, float] = Field(description="Percent of season demand.")
    mape_percentage: float | None
    created_at: datetime
    run_number: int


# ---------------------------------------------------------------- §10 clusters
class ClusterStore(_Answer):
    store_id: str
    store_name: str
    location: str
    forecast_units: float
    confidence: float = Field(description="Percent 0-100.")
    status: Literal["Active", "Warning", "Low Stock"]
    size_tier: Literal["Large", "Medium", "Small"]
    size_sqft: int
    income_level: float | None = Field(description="Not held by Season Planner: null.")
    foot_traffic: float = Field(description="Visitors per day.")
    mall_location: bool


class ClusterAnswer(_Answer):
    cluster_id: str
    cluster_name: str
    fashion_tier: Literal["PREMIUM", "MAINSTREAM", "VALUE"]
    store_count: int
    total_units: float
    allocation_percentage: float = Field(description="Percent 0-100.")
    stores: list[ClusterStore]


# ---------------------------------------------------------------- §12 uploads
class UploadError(_Answer):
    error_type: Literal[
        "MISSING_COLUMN", "DATA_TYPE_MISMATCH", "EMPTY_FILE", "DUPLICATE_ROWS", "OTHER"
    ]
    row: int | None = None
    column: str | None = None
    expected_type: str | None = None
    actual_value: str | None = None
    message: str


class UploadAnswer(_Answer):
    workflow_id: str
    file_type: str
    file_name: str
    file_size_bytes: int
    rows_uploaded: int
    columns: list[str]
    validation_status: Literal["VALID", "INVALID"]
    errors: list[UploadError] | None
    uploaded_at: str
    message: str


# ---------------------------------------------------------------- §13, §14 variance
class StoreVariance(_Answer):
    store_id: str
    store_name: str
    forecasted: float
    actual: float
    variance_pct: float


class WeekVariance(_Answer):
    forecast_id: str
    workflow_id: str
    week_number: int
    week: int
    forecasted_cumulative: float
    actual_cumulative: float
    forecast_units: float
    forecasted_units: float
    actual_units: float
    variance_pct: float = Field(description="Signed percent over weeks 1..n.")
    variance_percentage: float
    threshold_exceeded: bool
    action_taken: str | None
    actuals_source: Literal["uploaded", "history"]
    store_level_variance: list[StoreVariance]


class HighVarianceStore(_Answer):
    store_id: str
    store_name: str
    variance_percentage: float


class VarianceSummary(_Answer):
    workflow_id: str
    week_number: int
    average_variance_percentage: float
    max_variance_percentage: float
    min_variance_percentage: float
    stores_above_threshold: int
    total_stores: int
    high_variance_stores: list[HighVarianceStore]
    timestamp: str


# ---------------------------------------------------------------- §15, §16 allocations
class StoreAllocation(_Answer):
    store_id: str
    store_name: str
    cluster_id: str
    season_total: int
    initial_allocation: int
    dc_holdback: int
    current_inventory: int
    weeks_of_supply: float
    lead_time_days: int | None
    safety_stock_units: int | None
    reorder_point: int | None


class Shipment(_Answer):
    store_id: str
    quantity: int
    reason: str


class ReplenishmentWeek(_Answer):
    week_number: int
    shipments: list[Shipment]
    total_shipped: int
    dc_remaining: int


class DcWarning(_Answer):
    week_number: int
    dc_remaining: int
    message: str
    severity: Literal["info", "warning", "critical"]


class AllocationAnswer(_Answer):
    allocation_id: str
    forecast_id: str
    workflow_id: str
    manufacturing_order: int
    total_units_allocated: int
    safety_stock_pct: float | None = Field(description="Fraction.")
    dc_holdback_pct: float = Field(description="Fraction.")
    replenishment_strategy: V1Strategy
    strategy: V1Strategy
    initial_allocation_total: int
    dc_holdback_total: int
    store_allocations: list[StoreAllocation]
    replenishment_plan: list[ReplenishmentWeek]
    dc_inventory_warnings: list[DcWarning]


class ReplenishmentApprovalBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    forecast_id: str
    week_number: int = Field(ge=1, le=52)


class WeekBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    week_number: int = Field(ge=1, le=52)


class ReplenishmentApproval(_Answer):
    approval_id: str
    forecast_id: str
    week_number: int
    total_units_approved: int
    stores_affected: int
    approved_at: str
    status: Literal["approved"]


# ---------------------------------------------------------------- §17, §20 markdowns
class MarkdownAnswer(_Answer):
    markdown_id: str
    workflow_id: str
    forecast_id: str
    markdown_checkpoint_week: int | None
    markdown_threshold: float | None
    actual_sell_through: float
    gap: float
    elasticity_coefficient: float
    expected_impact: float
    recommended_markdown_percentage: float
    expected_sell_through_after_markdown: float
    expected_margin_reduction: float
    decision: Literal["APPLY_MARKDOWN", "NO_MARKDOWN_NEEDED", "NOT_APPLICABLE"]
    status: str
    justification: str
    risk_assessment: str
    timestamp: str


class ManufacturingApprovalBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    workflow_id: str
    action: Literal["modify", "accept"]
    safety_stock_pct: float | None = Field(default=None, ge=0.10, le=0.30)


class ManufacturingApprovalAnswer(_Answer):
    workflow_id: str
    action: Literal["modify", "accept"]
    manufacturing_qty: int
    safety_stock_pct: float
    forecast_total: int
    reasoning: str
    status: Literal["recalculated", "approved"]


class MarkdownApprovalBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    workflow_id: str
    action: Literal["modify", "accept"]
    elasticity_coefficient: float = Field(ge=1.0, le=3.0)
    actual_sell_through_pct: float = Field(ge=0, le=1)
    target_sell_through_pct: float = Field(default=0.60, ge=0, le=1)


class MarkdownApprovalAnswer(_Answer):
    workflow_id: str
    action: Literal["modify", "accept"]
    recommended_markdown_pct: float
    elasticity_coefficient: float
    gap_pct: float
    expected_demand_lift_pct: float
    reasoning: str
    status: Literal["recalculated", "approved"]


# ---------------------------------------------------------------- §18, §21 reference
class CategoryItem(_Answer):
    id: str
    name: str
    description: str | None = None


class CategoryListAnswer(_Answer):
    categories: list[CategoryItem]


class StoreItem(_Answer):
    store_id: str
    store_name: str
    cluster_id: str | None
    store_size_sqft: int
    location_tier: Literal["A", "B", "C"]
    fashion_tier: Literal["PREMIUM", "MAINSTREAM", "VALUE"] | None
    store_format: str
    region: str
    median_income: float | None
    avg_weekly_sales_12mo: float


class HealthAnswer(_Answer):
    status: Literal["ok", "degraded"]
    version: str
    timestamp: str
    services: dict[str, str]
