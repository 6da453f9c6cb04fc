"""What the agents' tools return: typed results, sent to the model as JSON.

Every result carries a `note`, one factual sentence the run's progress hooks show the
planner while the agent works.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from planner_agents.context import ForecastRisk
from planner_shared.events import ManufacturingLine, ManufacturingProposal, MarkdownProposal
from planner_shared.parameters import ReplenishmentStrategy, SeasonParameters


class ToolResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    note: str = Field(description="One factual sentence about the result.")


class ToolError(BaseModel):
    """What the model sees when a tool cannot answer: the reason, to act on."""

    model_config = ConfigDict(frozen=True)

    error: str


class SeasonView(ToolResult):
    parameters: SeasonParameters
    season_end_date: date
    checkpoint_week_start: date | None = Field(description="None: no markdown checkpoint.")
    replenishment: str = Field(description="What the replenishment strategy means in practice.")


class CategoryForecastView(BaseModel):
    model_config = ConfigDict(frozen=True)

    category_code: str
    season_total: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float
    interval_80_width_ratio: float | None = Field(
        description="(upper_80 - lower_80) / season_total; None when the forecast is zero."
    )
    method: str
    weights: dict[str, float]
    backtest_wape: dict[str, float]
    fallback_reason: str | None
    last_season_total: float | None
    change_vs_last_season: float | None = Field(
        description="(forecast - last season) / last season; None without history."
    )


class ForecastView(ToolResult):
    run_number: int
    reason: str
    horizon_weeks: int
    season_total: float
    previous_season_total: float | None
    revision: float | None = Field(description="Change against the previous run, as a ratio.")
    cluster_count: int
    categories: list[CategoryForecastView]
    variance_by_week: dict[int, float] = Field(
        description="Week -> total variance (absolute: |actual - forecast| / forecast)."
    )
    latest_variance: str | None = Field(
        default=None,
        description="The newest week's check in words: the side of the forecast the total and "
        "each category above the threshold fell on.",
    )


class RiskReport(ToolResult):
    categories_checked: int
    risks: list[ForecastRisk]


class ManufacturingView(ToolResult):
    total_quantity: int
    forecast_units: float
    stock_on_hand: int
    lines: list[ManufacturingLine]
    min_quantity: int
    max_quantity: int
    tolerance_percentage: float


class ManufacturingProposalResult(ToolResult):
    accepted: bool
    reason: str | None = Field(description="Why the proposal was refused, when it was.")
    proposal: ManufacturingProposal | None


class AllocationView(ToolResult):
    total_units: int
    store_units: int
    store_count: int
    average_store_units: float
    dc_holdback_units: int
    dc_holdback_share: float
    planned_holdback_percentage: float
    replenishment_strategy: ReplenishmentStrategy
    by_category: dict[str, int]
    stock_risks: list[str] | None = Field(
        default=None,
        description="The stock ledger's alerts on the forward plan (stores projected to run "
        "out within their lead time, the DC running empty); empty: none; null: not known.",
    )


class CategorySellThrough(BaseModel):
    model_config = ConfigDict(frozen=True)

    category_code: str
    sell_through: float
    gap: float = Field(description="target - sell-through; positive when below target.")
    elasticity: float | None
    elasticity_source: str | None = Field(
        default=None,
        description="uploaded elasticity, markdown history (its demand lift per markdown "
        "point at this sell-through) or catalogue.",
    )
    demand_share: float | None = Field(description="Share of the season forecast.")
    indicative_markdown_percentage: float | None = Field(
        description="The markdown rule applied to this category alone."
    )


class SellThroughView(ToolResult):
    week_number: int
    checkpoint_week: int | None
    sell_through: float
    target: float
    gap: float
    below_target: bool
    season_elasticity: float | None = Field(
        description="Category elasticities weighted by their share of the season forecast."
    )
    max_markdown_percentage: float
    categories: list[CategorySellThrough]


class MarkdownResult(ToolResult):
    percentage: float
    formula: str
    proposal: MarkdownProposal | None = Field(
        description="None when the rule asks for no markdown."
    )
    margin: str = Field(
        default="",
        description="What the depth earns in expected season margin against no markdown, on "
        "the stock ledger; why a shallower depth than the rule's was chosen, if one was.",
    )
    by_category: str = Field(
        default="",
        description="Each category's own depth for margin, in numbers: '5 % on DRES: +1,562 "
        "units sold, margin +$17k against no markdown (rule: 30 %)'.",
    )
