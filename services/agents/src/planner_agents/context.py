"""What an agent run may see and what it may decide.

The caller (the orchestrator's handlers) gathers the facts from the database and the events
before the run; the agents never touch the database or the bus. Tools read the facts and
record their decisions on `Decisions`, which the caller turns into events after the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from planner_agents.stock_facts import StockFacts
from planner_shared.events import (
    AllocationCompletedPayload,
    CategoryForecastSummary,
    ForecastCompletedPayload,
    ManufacturingProposal,
    ManufacturingRecommendation,
    MarkdownProposal,
    SellThroughComputedPayload,
    VarianceCheckedPayload,
)
from planner_shared.markdown import DEFAULT_MAX_MARKDOWN_PERCENTAGE
from planner_shared.parameters import SeasonParameters


@dataclass(frozen=True)
class AgentPolicy:
    """The limits agents work within; the defaults are the documented product defaults."""

    # How far the inventory agent (and later the approver) may move the order away from
    # the forecast service's recommendation, in percent either way.
    manufacturing_tolerance_percentage: float = 20.0
    max_markdown_percentage: float = DEFAULT_MAX_MARKDOWN_PERCENTAGE
    # Forecast risk rules (see tools.assess_forecast_risks):
    # 80% interval width relative to the point forecast.
    wide_interval_ratio: float = 0.5
    very_wide_interval_ratio: float = 1.0
    # Change against the same weeks last season (the seasonal-naive baseline).
    history_change_ratio: float = 0.25
    large_history_change_ratio: float = 0.5
    # Change of a re-forecast against the run before it.
    revision_ratio: float = 0.15
    # Weighted backtest WAPE of the ensemble's members.
    weak_backtest_wape: float = 0.3


RiskKind = Literal[
    "fallback_used",
    "wide_interval",
    "large_change_vs_history",
    "large_revision",
    "weak_backtest",
]
RiskSeverity = Literal["medium", "high"]


class ForecastRisk(BaseModel):
    """One thing about a forecast a planner should look at before committing to it."""

    model_config = ConfigDict(frozen=True)

    category_code: str | None = Field(description="None for the season total.")
    kind: RiskKind
    severity: RiskSeverity
    measure: float | None = Field(description="The figure the rule fired on (a ratio).")
    threshold: float | None
    message: str


@dataclass
class Decisions:
    """What the agents decided during one run; empty until a deciding tool records something."""

    risks: list[ForecastRisk] | None = None
    manufacturing: ManufacturingProposal | None = None
    markdown: MarkdownProposal | None = None
    # True once the markdown rule was applied, even when it asked for no markdown.
    markdown_assessed: bool = False


@dataclass(frozen=True)
class RunContext:
    """A season as the agents see it: read-only facts plus the decisions a run records.

    The orchestrator gathers the facts; each run gets its own copy under the service's
    policy (`sdk_specialists.run_context`): its `decisions` belong to that run alone.
    """

    workflow_id: UUID
    parameters: SeasonParameters
    forecast: ForecastCompletedPayload | None = None
    allocation: AllocationCompletedPayload | None = None
    sell_through: SellThroughComputedPayload | None = None
    elasticities: dict[str, float] = field(default_factory=dict)
    # Where each elasticity came from (markdown_inputs.py), and the history's demand lift.
    elasticity_sources: dict[str, str] = field(default_factory=dict)
    demand_lift_per_point: float | None = None
    variance_by_week: dict[int, float] = field(default_factory=dict)
    # The newest week's check, with the side of the forecast each category fell on.
    latest_variance: VarianceCheckedPayload | None = None
    # Sales of the same season weeks last year per category: the seasonal-naive baseline the
    # forecast is compared with. Empty when the caller has no such history.
    last_season_totals: dict[str, float] = field(default_factory=dict)
    # The stock ledger's risks and the margin of each markdown depth; None before the
    # allocation (stock_facts.py).
    stock: StockFacts | None = None
    policy: AgentPolicy = field(default_factory=AgentPolicy)
    decisions: Decisions = field(default_factory=Decisions)

    @property
    def categories(self) -> list[CategoryForecastSummary]:
        return list(self.forecast.categories) if self.forecast else []

    @property
    def manufacturing(self) -> ManufacturingRecommendation | None:
        return self.forecast.manufacturing if self.forecast else None


class MissingFactError(LookupError):
    """A tool was asked about something the caller did not provide (yet)."""
