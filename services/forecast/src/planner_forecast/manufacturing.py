"""Manufacturing quantity: season forecast x (1 + safety stock) - stock on hand.

Safety stock comes from the forecast's own uncertainty. The season's 95% interval gives a
demand standard deviation, sigma = (upper_95 - lower_95) / (2 x 1.96), as if normal; the
safety stock covers demand up to the `service_level` quantile (default 90%: in fashion an
unsold unit is marked down, so a retailer stops short of the 95-99% of staple goods):

    safety_stock = z(service_level) x sigma / forecast, clamped to [5%, 50%]

The floor keeps a buffer even for a series the models found very predictable (their
intervals do not cover a change of assortment or a competitor's move); the cap keeps one wild
interval from doubling an order a human then has to talk down. The quantity is rounded up to
whole units and is never negative.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

from pydantic import BaseModel, ConfigDict

MIN_SAFETY_STOCK = 0.05
MAX_SAFETY_STOCK = 0.50
DEFAULT_SERVICE_LEVEL = 0.90
_Z_95 = NormalDist().inv_cdf(0.975)


class ManufacturingPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    category_code: str
    forecast_units: float
    safety_stock_pct: float
    stock_on_hand: int
    quantity: int
    reasoning: dict[str, Any]


def manufacturing_quantity(
    category_code: str,
    season_total: float,
    season_lower_95: float,
    season_upper_95: float,
    stock_on_hand: int,
    *,
    service_level: float = DEFAULT_SERVICE_LEVEL,
    min_safety_stock: float = MIN_SAFETY_STOCK,
    max_safety_stock: float = MAX_SAFETY_STOCK,
) -> ManufacturingPlan:
    """Units to manufacture for one category.

    The bounds are fractions (0.05 = 5%); the plan's `safety_stock_pct` is a percentage (0-100)
    like the other percentages of the system (DC holdback, markdown).
    """
    if season_total < 0 or stock_on_hand < 0:
        raise ValueError("forecast and stock on hand must not be negative")
    if not 0.5 <= service_level < 1:
        raise ValueError("service level must be in [0.5, 1)")
    if not 0 <= min_safety_stock <= max_safety_stock:
        raise ValueError("safety stock bounds must satisfy 0 <= min <= max")
    sigma = max(season_upper_95 - season_lower_95, 0.0) / (2 * _Z_95)
    z = NormalDist().inv_cdf(service_level)
    if season_total > 0:
        raw = z * sigma / season_total
        safety = min(max(raw, min_safety_stock), max_safety_stock)
    else:
        # Nothing forecast: a percentage of zero is zero, whatever the bounds say.
        raw = 0.0
        safety = 0.0
    target = season_total * (1 + safety)
    # The tolerance keeps float noise (100 x 1.1 = 110.00000000000001) from adding a unit.
    quantity = max(0, math.ceil(target - stock_on_hand - 1e-9))
    clamped = "floor" if raw < min_safety_stock else "cap" if raw > max_safety_stock else None
    reasoning: dict[str, Any] = {
        "formula": "ceil(forecast x (1 + safety_stock) - stock_on_hand), at least 0",
        "season_forecast": season_total,
        "interval_95": [season_lower_95, season_upper_95],
        "demand_sigma": sigma,
        "service_level": service_level,
        "z": z,
        "raw_safety_stock": raw,
        "safety_stock": safety,
        "safety_stock_bounds": [min_safety_stock, max_safety_stock],
        "safety_stock_clamped_to": clamped if season_total > 0 else None,
        "target_units": target,
        "stock_on_hand": stock_on_hand,
        "quantity": quantity,
        "stock_covers_target": stock_on_hand >= target,
    }
    return ManufacturingPlan(
        category_code=category_code,
        forecast_units=season_total,
        safety_stock_pct=safety * 100,
        stock_on_hand=stock_on_hand,
        quantity=quantity,
        reasoning=reasoning,
    )


class StoreDemand(BaseModel):
    """One store's reconciled season forecast of a category and its 95% interval."""

    model_config = ConfigDict(frozen=True)

    store_code: str
    season_total: float
    lower_95: float
    upper_95: float


def manufacturing_from_stores(
    category_code: str,
    stores: list[StoreDemand],
    stock_on_hand: int,
    *,
    service_level: float = DEFAULT_SERVICE_LEVEL,
    min_safety_stock: float = MIN_SAFETY_STOCK,
    max_safety_stock: float = MAX_SAFETY_STOCK,
    category_interval_95: tuple[float, float] | None = None,
) -> ManufacturingPlan:
    """Units to manufacture for one category from its stores' reconciled forecasts.

    Each store's safety stock comes from its own interval, as `manufacturing_quantity` sizes
    it for a category (same service level and bounds): the order is stocked into stores, so
    each store needs its own buffer. The category's quantity is the stores' forecasts plus
    their safety stocks, minus stock on hand. Without store forecasts the category's own
    interval is used.
    """
    if not stores:
        low, high = category_interval_95 or (0.0, 0.0)
        total = (low + high) / 2
        return manufacturing_quantity(
            category_code,
            total,
            low,
            high,
            stock_on_hand,
            service_level=service_level,
            min_safety_stock=min_safety_stock,
            max_safety_stock=max_safety_stock,
        )
    per_store = [
        manufacturing_quantity(
            s.store_code,
            max(s.season_total, 0.0),
            s.lower_95,
            s.upper_95,
            0,
            service_level=service_level,
            min_safety_stock=min_safety_stock,
            max_safety_stock=max_safety_stock,
        )
        for s in stores
    ]
    forecast = sum(p.forecast_units for p in per_store)
    safety_units = sum(p.forecast_units * p.safety_stock_pct / 100 for p in per_store)
    safety = safety_units / forecast if forecast > 0 else 0.0
    target = forecast + safety_units
    quantity = max(0, math.ceil(target - stock_on_hand - 1e-9))
    reasoning: dict[str, Any] = {
        "formula": "ceil(sum over stores of forecast x (1 + store safety stock) - stock_on_hand)",
        "season_forecast": forecast,
        "category_interval_95": list(category_interval_95) if category_interval_95 else None,
        "service_level": service_level,
        "z": NormalDist().inv_cdf(service_level),
        "safety_stock": safety,
        "safety_stock_units": safety_units,
        "safety_stock_bounds": [min_safety_stock, max_safety_stock],
        "stores": {
            s.store_code: {
                "forecast": p.forecast_units,
                "interval_95": [s.lower_95, s.upper_95],
                "safety_stock_pct": p.safety_stock_pct,
            }
            for s, p in zip(stores, per_store, strict=True)
        },
        "target_units": target,
        "stock_on_hand": stock_on_hand,
        "quantity": quantity,
        "stock_covers_target": stock_on_hand >= target,
    }
    return ManufacturingPlan(
        category_code=category_code,
        forecast_units=forecast,
        safety_stock_pct=safety * 100,
        stock_on_hand=stock_on_hand,
        quantity=quantity,
        reasoning=reasoning,
    )
