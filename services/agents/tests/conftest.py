"""A known season for the agent tests: figures chosen so every rule's outcome is known.

Forecast (12,000 units): DRESS 6,000 with a wide interval (67% of the forecast) and +33%
against last season; TOPS 4,000 on a seasonal-naive fallback; KNIT 2,000 whose models
backtested at a 64% weighted WAPE. Recommended order 13,000 (range 10,400-15,600 at 20%).
Sell-through at week 6 is 45% against a 60% target; the demand-weighted elasticity is
(6 x 2.0 + 4 x 1.5 + 2 x 1.0) / 12 = 1.6667, so the rule gives 25%.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from planner_agents.context import RunContext
from planner_shared.events import (
    AllocationCompletedPayload,
    CategoryForecastSummary,
    ForecastCompletedPayload,
    ManufacturingLine,
    ManufacturingRecommendation,
    SellThroughComputedPayload,
)
from planner_shared.parameters import ReplenishmentStrategy, SeasonParameters

ContextFactory = Callable[..., RunContext]

PARAMETERS = SeasonParameters(
    forecast_horizon_weeks=12,
    season_start_date=date(2027, 3, 1),
    replenishment_strategy=ReplenishmentStrategy.WEEKLY,
    dc_holdback_percentage=45.0,
    markdown_checkpoint_week=6,
    markdown_threshold=0.6,
)

FORECAST = ForecastCompletedPayload(
    run_number=1,
    reason="initial",
    season_total=12_000,
    cluster_count=3,
    categories=[
        CategoryForecastSummary(
            category_code="DRESS",
            season_total=6_000,
            lower_80=4_000,
            upper_80=8_000,
            lower_95=3_000,
            upper_95=9_000,
            method="ensemble",
            weights={"prophet": 0.6, "arima": 0.4, "seasonal_naive": 0.0},
            backtest_wape={"prophet": 0.2, "arima": 0.3, "seasonal_naive": 0.35},
        ),
        CategoryForecastSummary(
            category_code="TOPS",
            season_total=4_000,
            lower_80=3_600,
            upper_80=4_400,
            lower_95=3_400,
            upper_95=4_600,
            method="seasonal_naive",
            fallback_reason="too_short: 30 weeks of history",
        ),
        CategoryForecastSummary(
            category_code="KNIT",
            season_total=2_000,
            lower_80=1_800,
            upper_80=2_300,
            lower_95=1_700,
            upper_95=2_400,
            method="ensemble",
            weights={"prophet": 0.5, "arima": 0.5},
            backtest_wape={"prophet": 0.62, "arima": 0.66},
        ),
    ],
    manufacturing=ManufacturingRecommendation(
        total_quantity=13_000,
        lines=[
            ManufacturingLine(
                category_code="DRESS",
                forecast_units=6_000,
                safety_stock_pct=15.0,
                stock_on_hand=300,
                quantity=6_600,
            ),
            ManufacturingLine(
                category_code="TOPS",
                forecast_units=4_000,
                safety_stock_pct=10.0,
                stock_on_hand=0,
                quantity=4_400,
            ),
            ManufacturingLine(
                category_code="KNIT",
                forecast_units=2_000,
                safety_stock_pct=10.0,
                stock_on_hand=200,
                quantity=2_000,
            ),
        ],
    ),
)

ALLOCATION = AllocationCompletedPayload(
    total_units=13_000,
    dc_holdback_units=5_850,
    store_units=7_150,
    store_count=50,
    by_category={"DRESS": 3_630, "TOPS": 2_420, "KNIT": 1_100},
)

SELL_THROUGH = SellThroughComputedPayload(
    week_number=6,
    sell_through=0.45,
    by_category={"DRESS": 0.40, "TOPS": 0.52, "KNIT": 0.45},
    target=0.6,
    below_target=True,
)

ELASTICITIES = {"DRESS": 2.0, "TOPS": 1.5, "KNIT": 1.0}
LAST_SEASON = {"DRESS": 4_500.0, "TOPS": 3_900.0, "KNIT": 2_000.0}


@dataclass(frozen=True)
class KnownSeason:
    parameters: SeasonParameters = PARAMETERS
    forecast: ForecastCompletedPayload = FORECAST
    allocation: AllocationCompletedPayload = ALLOCATION
    sell_through: SellThroughComputedPayload = SELL_THROUGH


@pytest.fixture
def known() -> KnownSeason:
    return KnownSeason()


@pytest.fixture
def make_context() -> ContextFactory:
    def make(**overrides: Any) -> RunContext:
        values: dict[str, Any] = {
            "workflow_id": uuid4(),
            "parameters": PARAMETERS,
            "forecast": FORECAST,
            "allocation": ALLOCATION,
            "sell_through": SELL_THROUGH,
            "elasticities": dict(ELASTICITIES),
            "variance_by_week": {},
            "last_season_totals": dict(LAST_SEASON),
        }
        values.update(overrides)
        return RunContext(**values)

    return make
