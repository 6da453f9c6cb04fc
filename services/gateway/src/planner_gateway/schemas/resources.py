"""Read models of the planning results: stores, categories, forecasts, clusters, allocations,
variance, approvals, markdowns and the event history.

Units follow `planner_shared.parameters` (`_pct` percent, `_fraction` fraction, each with
`x-unit` in its schema); /api/v1 keeps the Phase 2 frontend's own names. Otherwise, where the
Phase 2 frontend of boyangwan12/multiagent-retail-independent-study names a field, the same
name is used: `store_id`, `cluster_id`, `cluster_name`, `store_count`,
`total_units`, `allocation_fraction`, `forecast_id`, `total_season_demand`,
`weekly_demand_curve`, `forecasted_units`, `forecasting_method`, `manufacturing_qty`,
`initial_allocation_total`, `holdback_total`, `store_allocations`, `initial_allocation`,
`total_season_allocation`, `forecasted_cumulative`, `actual_cumulative`, `variance_fraction`,
`threshold_exceeded`, `recommended_markdown_pct`, `elasticity_coefficient`, and the
`{"categories": [...]}` list shape.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from planner_gateway.schemas.amounts import Amount, ApprovalAmounts
from planner_gateway.schemas.workflows import EXAMPLE_WORKFLOW_ID
from planner_shared.events import MarkdownLine
from planner_shared.parameters import FRACTION_SCHEMA, PERCENT_SCHEMA


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


def example_of(model: type[BaseModel]) -> dict[str, Any]:
    """The first documented example of `model`, to build its containers' examples from."""
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict), f"{model.__name__} documents no example"
    examples = extra["examples"]
    assert isinstance(examples, list)
    first = examples[0]
    assert isinstance(first, dict)
    return dict(first)


class StoreRead(BaseModel):
    model_config = _examples(
        {
            "store_id": "S001",
            "id": "7d4bfa0e-3b8a-4f8e-8a57-0f44a1a7b0c2",
            "name": "Downtown Flagship",
            "region": "north",
            "size_sqft": 12000,
            "weekly_traffic": 9500,
            "format": "flagship",
        }
    )

    store_id: str = Field(description="The store's code.")
    id: UUID
    name: str
    region: str
    size_sqft: int
    weekly_traffic: int
    format: str


class StoreList(BaseModel):
    model_config = _examples({"stores": [example_of(StoreRead)], "count": 1})

    stores: list[StoreRead]
    count: int


class CategoryRead(BaseModel):
    model_config = _examples(
        {
            "id": "DRESS",
            "uuid": "0c3f9d8e-7a1b-4c2d-9e8f-1a2b3c4d5e6f",
            "name": "Dresses",
            "unit_price": 79.0,
            "price_elasticity": 1.8,
            "stock_on_hand": 350,
        }
    )

    id: str = Field(description="The category's code (what `category_codes` takes).")
    uuid: UUID
    name: str
    unit_price: float
    price_elasticity: float
    stock_on_hand: int


class CategoryList(BaseModel):
    model_config = _examples({"categories": [example_of(CategoryRead)], "count": 1})

    categories: list[CategoryRead]


class ForecastWeekRead(BaseModel):
    model_config = _examples(
        {
            "week_number": 1,
            "week_start_date": "2027-03-01",
            "forecasted_units": 612.3,
            "lower_80": 540.1,
            "upper_80": 684.5,
            "lower_95": 502.0,
            "upper_95": 722.6,
            "baseline_units": 590.0,
        }
    )

    week_number: int
    week_start_date: date
    forecasted_units: float = Field(description="The ensemble's point forecast.")
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float
    baseline_units: float = Field(description="The seasonal-naive forecast, for comparison.")


class ForecastRead(BaseModel):
    model_config = _examples(
        {
            "forecast_id": "4b8e2f0a-1c3d-4e5f-8a9b-0c1d2e3f4a5b",
            "category_code": "DRESS",
            "category_name": "Dresses",
            "run_number": 1,
            "reason": "initial",
            "total_season_demand": 8120.5,
            "forecasting_method": "ensemble",
            "diagnostics": {
                "weights": {"prophet": 0.58, "arima": 0.42},
                "backtest_wape": {"prophet": 0.14, "arima": 0.19},
            },
            "created_at": "2027-02-20T09:00:40Z",
            "weekly_demand_curve": [example_of(ForecastWeekRead)],
        }
    )

    forecast_id: UUID
    category_code: str
    category_name: str
    run_number: int
    reason: str
    total_season_demand: float
    forecasting_method: str
    diagnostics: dict[str, Any]
    created_at: datetime
    weekly_demand_curve: list[ForecastWeekRead]


class ForecastList(BaseModel):
    model_config = _examples(
        {
            "workflow_id": EXAMPLE_WORKFLOW_ID,
            "run_numbers": [1],
            "forecasts": [example_of(ForecastRead)],
        }
    )

    workflow_id: UUID
    run_numbers: list[int] = Field(description="Every forecast run of the workflow.")
    forecasts: list[ForecastRead]


class ClusterRead(BaseModel):
    model_config = _examples(
        {
            "cluster_id": "2a4c6e8f-0b1d-4f3a-8c5e-7a9b1c3d5e7f",
            "label": 0,
            "cluster_name": "Large high-traffic stores",
            "profile": {"size_sqft": 11800, "weekly_traffic": 9100, "sales_level": 152.0},
            "silhouette": 0.61,
            "store_count": 14,
            "stores": ["S001", "S004"],
            "total_units": 3100,
            "allocation_fraction": 0.4,
        }
    )

    cluster_id: UUID
    label: int
    cluster_name: str
    profile: dict[str, Any]
    silhouette: float | None
    store_count: int
    stores: list[str] = Field(description="Codes of the member stores.")
    total_units: int | None = Field(description="Initial allocation to the cluster, if allocated.")
    allocation_fraction: float | None = Field(
        description="Share of the initial allocation, a fraction (0-1).",
        json_schema_extra=FRACTION_SCHEMA,
    )


class ClusterList(BaseModel):
    model_config = _examples(
        {"workflow_id": EXAMPLE_WORKFLOW_ID, "clusters": [example_of(ClusterRead)]}
    )

    workflow_id: UUID
    clusters: list[ClusterRead]


class ManufacturingOrderRead(BaseModel):
    model_config = _examples(
        {
            "category_code": "DRESS",
            "forecast_units": 8120.5,
            "safety_stock_pct": 15.0,
            "stock_on_hand": 100,
            "recommended_quantity": 9239,
            "approved_quantity": 9300,
            "reasoning": {
                "formula": "ceil(forecast x (1 + safety_stock) - stock_on_hand), at least 0",
                "season_forecast": 8120.5,
                "safety_stock": 0.15,
                "target_units": 9338.575,
                "stock_on_hand": 100,
                "quantity": 9239,
            },
        }
    )

    category_code: str
    forecast_units: float
    safety_stock_pct: float = Field(
        description="In percent: 15.0 is 15%.", json_schema_extra=PERCENT_SCHEMA
    )
    stock_on_hand: int
    recommended_quantity: int
    approved_quantity: int | None = Field(description="Once the order is approved.")
    reasoning: dict[str, Any] = Field(description="The formula and every input it used.")


class StoreAllocationRead(BaseModel):
    model_config = _examples(
        {
            "store_id": "S001",
            "store_name": "Downtown Flagship",
            "cluster_id": "2a4c6e8f-0b1d-4f3a-8c5e-7a9b1c3d5e7f",
            "cluster_name": "Large high-traffic stores",
            "initial_allocation": 170,
            "replenishment_units": 24,
            "total_season_allocation": 194,
            "by_category": {"DRESS": 170},
        }
    )

    store_id: str
    store_name: str
    cluster_id: UUID | None
    cluster_name: str | None
    initial_allocation: int
    replenishment_units: int
    total_season_allocation: int
    by_category: dict[str, int] = Field(description="Initial units per category code.")


class AllocationPlanRead(BaseModel):
    model_config = _examples(
        {
            "workflow_id": EXAMPLE_WORKFLOW_ID,
            "manufacturing_qty": 9300,
            "initial_allocation_total": 5115,
            "holdback_total": 4185,
            "replenishment_total": 620,
            "by_category": {"DRESS": 5115},
            "replenishment_by_week": {"2": 310, "3": 310},
            "store_count": 50,
            "store_allocations": [example_of(StoreAllocationRead)],
        }
    )

    workflow_id: UUID
    manufacturing_qty: int | None = Field(description="Approved quantity (recommended if none).")
    initial_allocation_total: int
    holdback_total: int | None = Field(description="Units kept at the DC at the start.")
    replenishment_total: int
    by_category: dict[str, int]
    replenishment_by_week: dict[str, int]
    store_count: int
    store_allocations: list[StoreAllocationRead]


class CategoryVarianceRead(BaseModel):
    model_config = _examples(
        {
            "category_code": "OUTW",
            "forecast_units": 3358.6,
            "actual_units": 4705.0,
            "variance": 0.4009,
            "exceeded": True,
        }
    )

    category_code: str
    forecast_units: float
    actual_units: float
    variance: float = Field(description="|actual - forecast| / forecast over the compared weeks.")
    exceeded: bool


class VarianceRead(BaseModel):
    model_config = _examples(
        {
            "week_number": 4,
            "compared_weeks": [1, 4],
            "forecasted_cumulative": 24339.5,
            "actual_cumulative": 26716.0,
            "variance_fraction": 0.0976,
            "threshold": 0.2,
            "threshold_exceeded": True,
            "by_category": {"OUTW": example_of(CategoryVarianceRead)},
            "checked_at": "2026-03-30T08:00:03Z",
        }
    )

    week_number: int
    compared_weeks: list[int] | None = Field(
        description="First and last week compared: the weeks since the forecast run in force "
        "started (a re-forecast restarts the window)."
    )
    forecasted_cumulative: float
    actual_cumulative: float
    variance_fraction: float = Field(
        description="|actual - forecast| / forecast, a fraction: 0.0976 is 9.76%.",
        json_schema_extra=FRACTION_SCHEMA,
    )
    threshold: float = Field(
        description="The variance threshold, a fraction: 0.2 is 20%.",
        json_schema_extra=FRACTION_SCHEMA,
    )
    threshold_exceeded: bool = Field(
        description="The total or, with the `any` trigger, one category passed the threshold."
    )
    by_category: dict[str, CategoryVarianceRead]
    checked_at: datetime


class VarianceList(BaseModel):
    model_config = _examples(
        {
            "workflow_id": EXAMPLE_WORKFLOW_ID,
            "weeks_with_actuals": [1, 2, 3, 4],
            "checks": [example_of(VarianceRead)],
        }
    )

    workflow_id: UUID
    weeks_with_actuals: list[int]
    checks: list[VarianceRead]


class ApprovalRead(ApprovalAmounts):
    model_config = _examples(
        {
            "approval_id": "1f0e8f2a-6c55-4f0b-9b39-1d1c8f0a4e21",
            "workflow_id": EXAMPLE_WORKFLOW_ID,
            "kind": "manufacturing",
            "status": "decided",
            "proposal": {"kind": "manufacturing", "quantity": 10450, "rationale": "..."},
            "proposed_value": 10450,
            "min_value": 8360,
            "max_value": 12540,
            "action": "modify",
            "decided_value": 9800,
            "reason": "smaller first drop",
            "decided_by": "dev-approver",
            "decided_at": "2027-02-20T09:05:00Z",
            "created_at": "2027-02-20T09:01:12Z",
        }
    )

    approval_id: UUID
    workflow_id: UUID
    kind: str
    status: str = Field(
        description="'pending', 'decided', or 'superseded': replaced by a newer proposal of "
        "its kind (a forecast override made while it waited); `reason` says why, and it can "
        "no longer be decided."
    )
    proposal: dict[str, Any]
    proposed_value: Amount
    min_value: Amount
    max_value: Amount
    action: str | None
    decided_value: Amount | None
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime
    proposed_lines: dict[str, float] = Field(
        default_factory=dict,
        description="Per category, what was proposed: the order's units or the markdown's depth.",
    )
    decided_lines: dict[str, float] = Field(
        default_factory=dict,
        description="Per category, what was decided: the order's units (the lines the approver "
        "set, or the decided total split by the proposal's shares) or the markdown's depth.",
    )


class ApprovalList(BaseModel):
    model_config = _examples(
        {"workflow_id": EXAMPLE_WORKFLOW_ID, "approvals": [example_of(ApprovalRead)]}
    )

    workflow_id: UUID
    approvals: list[ApprovalRead]


class MarkdownRead(BaseModel):
    model_config = _examples(
        {
            "approval_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            "status": "pending",
            "week_number": 6,
            "sell_through_fraction": 0.48,
            "target_sell_through_fraction": 0.6,
            "gap_fraction": 0.12,
            "elasticity_coefficient": 1.8,
            "recommended_markdown_pct": 20.0,
            "max_markdown_pct": 40.0,
            "decided_markdown_pct": None,
            "decided_by": None,
            "decided_at": None,
            "reasoning": "12.0% gap x 1.8 elasticity = 21.6%, rounded to 20%",
        }
    )

    approval_id: UUID
    status: str
    week_number: int
    sell_through_fraction: float = Field(
        description="Sell-through at the checkpoint, a fraction: 0.48 is 48%.",
        json_schema_extra=FRACTION_SCHEMA,
    )
    target_sell_through_fraction: float = Field(json_schema_extra=FRACTION_SCHEMA)
    gap_fraction: float = Field(json_schema_extra=FRACTION_SCHEMA)
    elasticity_coefficient: float
    recommended_markdown_pct: float = Field(
        description="Percent, e.g. 20.0 for 20%.", json_schema_extra=PERCENT_SCHEMA
    )
    max_markdown_pct: float = Field(json_schema_extra=PERCENT_SCHEMA)
    decided_markdown_pct: float | None = Field(json_schema_extra=PERCENT_SCHEMA)
    decided_by: str | None
    decided_at: datetime | None
    reasoning: str
    elasticity_source: str | None = Field(
        default=None,
        description="Where the elasticity came from: uploaded elasticity, markdown history "
        "(its demand lift per markdown point at the sell-through) or catalogue.",
    )
    demand_lift_per_point: float | None = Field(
        default=None,
        description="Demand lift per markdown point from the workflow's uploaded markdown "
        "history (1.5: a 10% markdown lifts demand 15%); None without one.",
    )
    markdown_points_per_gap_point: float | None = Field(
        default=None,
        description="The seed rule's parameter: markdown points per point of sell-through gap "
        "(the same figure as `elasticity_coefficient`, its older name); not the demand's "
        "price elasticity, which each line carries.",
    )
    lines: list[MarkdownLine] = Field(
        default_factory=list,
        description="Per category: the depth with the highest expected season margin, the "
        "rule's depth, the demand's price elasticity, and every candidate depth projected.",
    )
    decided_lines: dict[str, float] = Field(
        default_factory=dict,
        description="Per category, the decided depth; empty when one depth was decided for "
        "every category (`decided_markdown_pct`).",
    )


class MarkdownList(BaseModel):
    model_config = _examples(
        {"workflow_id": EXAMPLE_WORKFLOW_ID, "markdowns": [example_of(MarkdownRead)]}
    )

    workflow_id: UUID
    markdowns: list[MarkdownRead]


class EventRead(BaseModel):
    model_config = _examples(
        {
            "seq": 42,
            "event_id": "5d9e1c1e-0a8e-4c59-9d55-2b8f4c1d9a77",
            "type": "workflow.state_changed",
            "stream": "planner.workflow",
            "occurred_at": "2027-02-20T09:00:01Z",
            "envelope": {
                "type": "workflow.state_changed",
                "payload": {"from_state": "created", "to_state": "extracting", "reason": "..."},
            },
        }
    )

    seq: int = Field(description="Position in the history; events are listed in this order.")
    event_id: UUID
    type: str
    stream: str
    occurred_at: datetime
    envelope: dict[str, Any]


class EventPage(BaseModel):
    model_config = _examples(
        {"workflow_id": EXAMPLE_WORKFLOW_ID, "events": [example_of(EventRead)], "next_after": 42}
    )

    workflow_id: UUID
    events: list[EventRead]
    next_after: int | None = Field(description="Pass as `after` for the next page.")


class ForecastRunSummary(BaseModel):
    run_number: int
    reason: str
    season_total: float
    categories: int


class WorkflowResults(BaseModel):
    """Everything the season has produced so far, from the stored tables."""

    model_config = _examples(
        {
            "workflow_id": EXAMPLE_WORKFLOW_ID,
            "state": "in_season",
            "status": "in_season",
            "parameters": {"forecast_horizon_weeks": 12, "season_start_date": "2027-03-01"},
            "forecast_runs": [
                {"run_number": 1, "reason": "initial", "season_total": 8120.5, "categories": 1}
            ],
            "forecasts": [],
            "clusters": [],
            "manufacturing_orders": [],
            "allocation": None,
            "variance_checks": [],
            "approvals": [],
            "completed_at": None,
        }
    )

    workflow_id: UUID
    state: str
    status: str
    parameters: dict[str, Any] | None
    forecast_runs: list[ForecastRunSummary]
    forecasts: list[ForecastRead] = Field(description="The latest run, per category.")
    clusters: list[ClusterRead]
    manufacturing_orders: list[ManufacturingOrderRead]
    allocation: AllocationPlanRead | None = Field(
        description="Totals without the per-store lines (see /allocations for those)."
    )
    variance_checks: list[VarianceRead]
    approvals: list[ApprovalRead]
    completed_at: datetime | None
