"""Chart-ready reads for the console: one row per week, units named, shares as fractions.

Units follow `planner_shared.parameters`: `_pct` is percent (0-100), `_fraction` a fraction
(0-1); each carries `x-unit` in its schema.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from planner_gateway.schemas.overrides import OverrideRead
from planner_gateway.schemas.resources import _examples, example_of
from planner_shared.parameters import FRACTION_SCHEMA, PERCENT_SCHEMA

TOTAL = "TOTAL"


class WeekPoint(BaseModel):
    """One week of one series (a category or TOTAL)."""

    model_config = _examples(
        {
            "week_number": 4,
            "week_start": "2027-03-22",
            "forecast_units": 6680.2,
            "final_units": 6880.6,
            "forecast_run_number": 1,
            "lower_80": 6011.0,
            "upper_80": 7349.4,
            "lower_95": 5656.1,
            "upper_95": 7704.3,
            "planned_units": 6680.2,
            "actual_units": 7331.0,
            "cumulative_actual_units": 26716.0,
            "sell_through_fraction": 0.3143,
        }
    )

    week_number: int
    week_start: date | None
    forecast_units: float | None = Field(
        description="The forecast in force for this week: the newest run made before it "
        "(statistical)."
    )
    final_units: float | None = Field(
        default=None,
        description="The final forecast: the statistical one adjusted by the planner's active "
        "overrides (docs/overrides.md); what the buy, ledger and markdown use.",
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

    model_config = _examples(
        {
            "weeks": 4,
            "forecast_units": 24339.5,
            "actual_units": 26716.0,
            "wape_fraction": 0.0912,
            "bias_fraction": -0.0889,
        }
    )

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
    model_config = _examples(
        {
            "key": "TOTAL",
            "name": "All categories",
            "manufactured_units": 85000,
            "points": [example_of(WeekPoint)],
            "accuracy": example_of(Accuracy),
        }
    )

    key: str = Field(description="Category code, or TOTAL.")
    name: str
    manufactured_units: int | None
    points: list[WeekPoint]
    accuracy: Accuracy


class VarianceMark(BaseModel):
    model_config = _examples(
        {
            "week_number": 4,
            "variance_fraction": 0.0976,
            "threshold_fraction": 0.2,
            "exceeded": True,
            "by_category_fraction": {"KNIT": 0.2902, "OUTW": 0.4009},
            "exceeded_categories": ["KNIT", "OUTW"],
            "reforecast_run_number": 2,
        }
    )

    week_number: int
    variance_fraction: float = Field(json_schema_extra=FRACTION_SCHEMA)
    threshold_fraction: float = Field(json_schema_extra=FRACTION_SCHEMA)
    exceeded: bool
    by_category_fraction: dict[str, float] = Field(json_schema_extra=FRACTION_SCHEMA)
    exceeded_categories: list[str]
    reforecast_run_number: int | None = Field(description="The re-forecast this week started.")


class RunMark(BaseModel):
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
    after_week: int = Field(description="Weeks of actuals the run was fitted with (0: initial).")
    season_total: float
    created_at: datetime


class WeeklyChart(BaseModel):
    """Actual against forecast per week, by category and in total, with what happened."""

    model_config = _examples(
        {
            "workflow_id": "d705839e-5c98-45bf-9d24-a320b1f67e61",
            "horizon_weeks": 12,
            "weeks_in": [1, 2, 3, 4],
            "checkpoint_week": 6,
            "target_sell_through_fraction": 0.6,
            "variance_threshold_fraction": 0.2,
            "series": [example_of(Series)],
            "variance": [example_of(VarianceMark)],
            "runs": [example_of(RunMark)],
        }
    )

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
    model_config = _examples({"week_start": "2026-03-02", "units": 6120.0})

    week_start: date
    units: float


class ForecastCurvePoint(BaseModel):
    model_config = _examples(
        {
            "week_number": 1,
            "week_start": "2027-03-01",
            "forecast_units": 2741.3,
            "final_units": 3015.4,
            "lower_80": 2466.0,
            "upper_80": 3016.6,
            "lower_95": 2320.4,
            "upper_95": 3162.2,
        }
    )

    week_number: int
    week_start: date
    forecast_units: float = Field(description="The statistical forecast (the run's).")
    final_units: float = Field(
        description="The final forecast: the statistical one adjusted by the active overrides."
    )
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float


class CategoryForecastChart(BaseModel):
    model_config = _examples(
        {
            "category_code": "DRES",
            "category_name": "Dresses",
            "run_number": 1,
            "method": "ensemble",
            "season_total": 32899.0,
            "final_season_total": 32899.0,
            "weights": {"prophet": 0.38, "arima": 0.36, "seasonal_naive": 0.26},
            "backtest_errors": {"prophet": 0.11, "arima": 0.12, "seasonal_naive": 0.16},
            "history": [example_of(HistoryPoint)],
            "forecast": [example_of(ForecastCurvePoint)],
        }
    )

    category_code: str
    category_name: str
    run_number: int
    method: str
    season_total: float = Field(description="The statistical forecast over the run's weeks.")
    final_season_total: float = Field(
        description="The final forecast over the run's weeks (with the active overrides)."
    )
    weights: dict[str, float] = Field(description="The ensemble's weight per model (sum 1).")
    backtest_errors: dict[str, float] = Field(
        description="Each model's backtest WAPE, a fraction.", json_schema_extra=FRACTION_SCHEMA
    )
    history: list[HistoryPoint] = Field(description="Weekly sales before the season, all stores.")
    forecast: list[ForecastCurvePoint]


class ForecastChart(BaseModel):
    model_config = _examples(
        {
            "workflow_id": "d705839e-5c98-45bf-9d24-a320b1f67e61",
            "run_number": 1,
            "runs": [example_of(RunMark)],
            "categories": [example_of(CategoryForecastChart)],
            "overrides": [example_of(OverrideRead)],
        }
    )

    workflow_id: UUID
    run_number: int | None
    runs: list[RunMark] = Field(description="Every forecast run of the season.")
    categories: list[CategoryForecastChart]
    overrides: list[OverrideRead] = Field(
        default_factory=list,
        description="The season's forecast overrides, withdrawn ones included: who, when, why.",
    )


class ClusterColumn(BaseModel):
    model_config = _examples(
        {
            "cluster_name": "High-volume large stores (mixed regions)",
            "store_count": 6,
            "initial_units": 9850,
            "replenishment_units": 4120,
            "by_category": {"ACCS": 3040, "DRES": 4390, "KNIT": 1280, "OUTW": 1140},
        }
    )

    cluster_name: str
    store_count: int
    initial_units: int
    replenishment_units: int
    by_category: dict[str, int]


class DcWeek(BaseModel):
    model_config = _examples(
        {
            "week_number": 2,
            "shipped_units": 2210,
            "dc_units": 33830,
            "by_category": {"ACCS": 9920, "DRES": 13900, "KNIT": 5010, "OUTW": 5000},
        }
    )

    week_number: int
    shipped_units: int = Field(description="Replenishment sent to stores that week.")
    dc_units: int = Field(description="Left at the DC after that week's replenishment.")
    by_category: dict[str, int] = Field(description="Left at the DC, per category.")


class AllocationChart(BaseModel):
    model_config = _examples(
        {
            "workflow_id": "d705839e-5c98-45bf-9d24-a320b1f67e61",
            "manufactured_units": 85000,
            "initial_units": 46750,
            "holdback_units": 38250,
            "dc_holdback_pct": 45.0,
            "clusters": [example_of(ClusterColumn)],
            "dc_by_week": [example_of(DcWeek)],
        }
    )

    workflow_id: UUID
    manufactured_units: int | None
    initial_units: int
    holdback_units: int | None
    dc_holdback_pct: float | None = Field(json_schema_extra=PERCENT_SCHEMA)
    clusters: list[ClusterColumn]
    dc_by_week: list[DcWeek]


class StoreCategoryDetail(BaseModel):
    model_config = _examples(
        {
            "category_code": "OUTW",
            "initial_units": 96,
            "replenishment_by_week": {"3": 12, "4": 20},
            "actual_by_week": {"1": 18, "2": 21, "3": 25, "4": 40},
            "sold_units": 104,
            "received_units": 128,
            "sell_through_fraction": 0.8125,
        }
    )

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
    model_config = _examples(
        {
            "workflow_id": "d705839e-5c98-45bf-9d24-a320b1f67e61",
            "store_code": "S001",
            "store_name": "Store 001",
            "region": "north",
            "format": "mall",
            "size_sqft": 12000,
            "cluster_name": "High-volume large stores (mixed regions)",
            "categories": [example_of(StoreCategoryDetail)],
        }
    )

    workflow_id: UUID
    store_code: str
    store_name: str
    region: str
    format: str
    size_sqft: int
    cluster_name: str | None
    categories: list[StoreCategoryDetail]


class MarkdownCategoryProjection(BaseModel):
    model_config = _examples(
        {
            "category_code": "DRES",
            "elasticity": 1.2,
            "unit_price": 79.0,
            "available_units": 36000,
            "sold_units": 11376.0,
            "baseline_units": 23100.0,
            "projected_units": 27600.0,
            "baseline_sell_through_fraction": 0.6417,
            "projected_sell_through_fraction": 0.7667,
            "baseline_revenue": 1824900.0,
            "projected_revenue": 2004630.0,
            "demand_elasticity": -2.2,
            "unit_cost": 30.0,
            "salvage_value": 16.0,
            "baseline_leftover_units": 12900.0,
            "projected_leftover_units": 8400.0,
            "baseline_season_margin": 1041000.0,
            "projected_season_margin": 1102000.0,
        }
    )

    category_code: str
    markdown_pct: float | None = Field(
        default=None,
        description="The depth this category is projected at.",
        json_schema_extra=PERCENT_SCHEMA,
    )
    best_for_margin_pct: float | None = Field(
        default=None,
        description="This category's depth (0 to the cap, in 5 % steps) with the highest "
        "expected season margin; null when it lacks a cost or salvage value.",
        json_schema_extra=PERCENT_SCHEMA,
    )
    elasticity: float = Field(
        description="The markdown rule's points of markdown per point of sell-through gap."
    )
    demand_elasticity: float | None = Field(
        default=None,
        description="The demand's price elasticity the projection lifts demand by "
        "((1 - markdown) ** elasticity); null: no lift known.",
    )
    demand_elasticity_source: str | None = Field(
        default=None,
        description="'history' (estimated from the history's price changes), 'catalogue' or "
        "'pooled estimate' (priors for a category whose prices never moved).",
    )
    unit_price: float
    unit_cost: float | None = None
    salvage_value: float | None = None
    available_units: int
    sold_units: float
    baseline_units: float = Field(description="Sold by the end of the season without markdown.")
    projected_units: float = Field(description="Sold by the end with the markdown.")
    baseline_sell_through_fraction: float = Field(json_schema_extra=FRACTION_SCHEMA)
    projected_sell_through_fraction: float = Field(json_schema_extra=FRACTION_SCHEMA)
    baseline_revenue: float
    projected_revenue: float
    baseline_leftover_units: float = 0.0
    projected_leftover_units: float = 0.0
    baseline_season_margin: float | None = Field(
        default=None,
        description="Revenue plus the leftover at salvage less the cost of every unit, "
        "without the markdown.",
    )
    projected_season_margin: float | None = None


class MarkdownCandidate(BaseModel):
    """The season at one markdown depth, on the stock ledger."""

    model_config = _examples(
        {
            "markdown_pct": 15.0,
            "sell_through_fraction": 0.91,
            "revenue": 4302100.0,
            "season_margin": 2410400.0,
            "leftover_units": 6900.0,
            "lost_sales": 3100.0,
        }
    )

    markdown_pct: float = Field(json_schema_extra=PERCENT_SCHEMA)
    sell_through_fraction: float | None = Field(json_schema_extra=FRACTION_SCHEMA)
    revenue: float
    season_margin: float | None
    leftover_units: float
    lost_sales: float


class MarkdownProjection(BaseModel):
    """What a markdown is expected to do by the end of the season."""

    model_config = _examples(
        {
            "workflow_id": "d705839e-5c98-45bf-9d24-a320b1f67e61",
            "markdown_pct": 15.0,
            "checkpoint_week": 6,
            "sell_through_fraction": 0.468,
            "target_sell_through_fraction": 0.6,
            "baseline_sell_through_fraction": 0.82,
            "projected_sell_through_fraction": 0.93,
            "baseline_revenue": 4120500.0,
            "projected_revenue": 4302100.0,
            "method": "stock ledger: ...",
            "categories": [example_of(MarkdownCategoryProjection)],
            "baseline_season_margin": 2301000.0,
            "projected_season_margin": 2410400.0,
            "margin_gain": 109400.0,
            "best_for_margin_pct": 15.0,
            "candidates": [example_of(MarkdownCandidate)],
        }
    )

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
    baseline_season_margin: float | None = Field(
        default=None, description="Expected season margin with no markdown."
    )
    projected_season_margin: float | None = Field(
        default=None, description="Expected season margin with this markdown."
    )
    margin_gain: float | None = Field(
        default=None,
        description="What the markdown gains (negative: loses) in expected season margin.",
    )
    best_for_margin_pct: float | None = Field(
        default=None,
        description="The depth (0 to the cap, in 5 % steps) with the highest expected season "
        "margin; null when a category lacks a cost or salvage value.",
        json_schema_extra=PERCENT_SCHEMA,
    )
    candidates: list[MarkdownCandidate] = Field(default_factory=list)


Phase = Literal["pre_season", "in_season", "completed", "failed", "cancelled"]


class WaitingFor(BaseModel):
    model_config = _examples({"who": "approver", "what": "decide the manufacturing order"})

    who: Literal["approver", "planner", "system"]
    what: str


class StockGlance(BaseModel):
    """The season's stock and money at a glance, from the ledger (docs/stock.md)."""

    model_config = _examples(
        {
            "sell_through_fraction": 0.41,
            "revenue_to_date": 2310400.0,
            "gross_margin_to_date": 1402100.0,
            "projected_revenue": 5120400.0,
            "projected_season_margin": 3050200.0,
            "projected_lost_sales": 2310.0,
            "projected_leftover_units": 4120.0,
            "alerts": ["OUTW: the DC is projected to run empty in week 7, ..."],
        }
    )

    sell_through_fraction: float | None = Field(json_schema_extra=FRACTION_SCHEMA)
    revenue_to_date: float
    gross_margin_to_date: float | None
    projected_revenue: float
    projected_season_margin: float | None
    projected_lost_sales: float
    projected_leftover_units: float
    alerts: list[str]


class SeasonOverview(BaseModel):
    """A season at a glance: where it is, how far, and who must act next."""

    model_config = _examples(
        {
            "workflow_id": "d705839e-5c98-45bf-9d24-a320b1f67e61",
            "name": "Spring 2027 womenswear",
            "state": "in_season",
            "phase": "in_season",
            "created_by": "dev-planner",
            "created_at": "2027-02-20T09:00:00Z",
            "season_start_date": "2027-03-01",
            "horizon_weeks": 12,
            "weeks_in": 4,
            "progress_fraction": 0.3333,
            "pre_season_planning_done": True,
            "pre_season_planning_done_at": "2027-02-20T09:02:10Z",
            "waiting_for": {"who": "planner", "what": "upload week 5's actuals"},
            "error": None,
        }
    )

    workflow_id: UUID
    name: str | None = Field(default=None, description="What a person calls the season.")
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
    stock: StockGlance | None = Field(
        default=None,
        description="Stock and money from the ledger, once the order is allocated; in the "
        "one season's overview only (the seasons list leaves it out).",
    )


class SeasonList(BaseModel):
    model_config = _examples({"items": [example_of(SeasonOverview)]})

    items: list[SeasonOverview]
