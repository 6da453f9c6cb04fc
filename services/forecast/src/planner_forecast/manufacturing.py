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

Planner's figures uploaded for the workflow (contract v1 uploads) take part:

- Safety stock (`safety_stock`, units per store): a store with an uploaded figure keeps that
  many units of safety stock instead of the one its interval gives (the planner's own
  figure replaces ours, unclamped); the file names stores, not categories, so a store's
  units are split across the season's categories in proportion to its forecast of each
  (`split_store_units`). The reasoning lists the stores that used an uploaded figure.
- Lead times (`lead_times`, days from the DC to a store): the initial allocation must leave
  the DC `lead_time_days` before the season starts to be in the store for week 1, so the
  order must be at the DC by the season start minus the longest store lead time
  (`dc_ship_by` in the reasoning; 7 days when no lead time was uploaded, the delivery time
  the weekly replenishment assumes). The same lead time sets the replenishment's timing
  (allocation.py, `transit_weeks`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta
from statistics import NormalDist
from typing import Any

from pydantic import BaseModel, ConfigDict

from planner_forecast.allocation import last_shipping_week, transit_weeks

MIN_SAFETY_STOCK = 0.05
MAX_SAFETY_STOCK = 0.50
DEFAULT_SERVICE_LEVEL = 0.90
# Days from the DC to a store when no lead time was uploaded: a delivery shipped at the end of
# a week is in the store for the next (the weekly replenishment's assumption).
DEFAULT_LEAD_TIME_DAYS = 7
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
    # The planner's safety stock of this store for this category, in units (uploaded), which
    # replaces the one its interval gives; None: sized from the interval.
    safety_stock_units: float | None = None
    # Days from the DC to this store (uploaded); None: DEFAULT_LEAD_TIME_DAYS.
    lead_time_days: int | None = None


def split_store_units(
    units: Mapping[str, float], forecasts: Mapping[str, Mapping[str, float]]
) -> dict[str, dict[str, float]]:
    """A per-store quantity (uploaded safety stock) split across categories.

    `units` is store -> units; `forecasts` is category -> store -> season forecast. Each
    store's units go to the categories in proportion to its forecast of each (equal shares
    when it forecasts nothing). Returns category -> store -> units, for the stores in `units`.
    """
    split: dict[str, dict[str, float]] = {category: {} for category in forecasts}
    for store, total in units.items():
        mine = {c: max(f.get(store, 0.0), 0.0) for c, f in forecasts.items() if store in f}
        if not mine:
            continue
        mass = sum(mine.values())
        for category, forecast in mine.items():
            share = forecast / mass if mass > 0 else 1 / len(mine)
            split[category][store] = total * share
    return split


def dc_ship_by(season_start: date, lead_times: Mapping[str, int | None]) -> dict[str, Any]:
    """When the initial allocation must leave the DC: each store's lead time before the season
    starts, so the order is needed at the DC by the earliest of those dates."""
    days = {
        store: DEFAULT_LEAD_TIME_DAYS if value is None else value
        for store, value in lead_times.items()
    }
    longest = max(days.values(), default=DEFAULT_LEAD_TIME_DAYS)
    uploaded = sorted(store for store, value in lead_times.items() if value is not None)
    # Without an upload every store takes the default: naming them all says nothing.
    slowest = sorted(s for s, d in days.items() if d == longest) if uploaded else []
    return {
        "rule": "the order is needed at the DC by the season start minus the longest store "
        "lead time (the initial allocation must reach every store for week 1)",
        "season_start": season_start.isoformat(),
        "dc_ship_by": (season_start - timedelta(days=longest)).isoformat(),
        "longest_lead_time_days": longest,
        "slowest_stores": slowest,
        "lead_time_source": "uploaded lead times"
        if uploaded
        else (f"default ({DEFAULT_LEAD_TIME_DAYS} days: no lead time uploaded)"),
        "stores_with_uploaded_lead_time": uploaded,
    }


def _store_row(
    store: StoreDemand, plan: ManufacturingPlan, horizon_weeks: int | None
) -> dict[str, Any]:
    """One store's line of the category's reasoning: its forecast and its safety stock,
    the uploaded one in place of the one its interval gives (which is kept beside it)."""
    computed = plan.forecast_units * plan.safety_stock_pct / 100
    uploaded = store.safety_stock_units
    units = computed if uploaded is None else max(uploaded, 0.0)
    row: dict[str, Any] = {
        "forecast": plan.forecast_units,
        "interval_95": [store.lower_95, store.upper_95],
        "safety_stock_pct": units / plan.forecast_units * 100 if plan.forecast_units > 0 else 0.0,
        "safety_stock_units": units,
        "safety_stock_source": "forecast interval" if uploaded is None else "uploaded",
        "lead_time_days": store.lead_time_days,
        "transit_weeks": transit_weeks(store.lead_time_days),
    }
    if horizon_weeks is not None:
        row["last_replenishment_week"] = last_shipping_week(
            horizon_weeks, transit_weeks(store.lead_time_days)
        )
    if uploaded is not None:
        row["computed_safety_stock_units"] = computed
    return row


def _safety_stock_note(uploaded: list[str], stores: int) -> str:
    """Where the stores' safety stocks came from, in a sentence."""
    if not uploaded:
        return "every store's safety stock is z x sigma of its interval (none uploaded)"
    return (
        f"{len(uploaded)} of {stores} stores use the uploaded safety stock "
        f"({', '.join(uploaded)}); the others z x sigma of their interval"
    )


def _stores_reasoning(
    rows: dict[str, dict[str, Any]],
    stock_on_hand: int,
    service_level: float,
    bounds: tuple[float, float],
) -> dict[str, Any]:
    """A category's order from its stores' lines: their forecasts and safety stocks summed,
    less the stock on hand, rounded up; and how it was reached."""
    forecast = sum(row["forecast"] for row in rows.values())
    safety_units = sum(row["safety_stock_units"] for row in rows.values())
    target = forecast + safety_units
    uploaded = sorted(
        code for code, row in rows.items() if row["safety_stock_source"] == "uploaded"
    )
    return {
        "formula": "ceil(sum over stores of forecast + store safety stock units - stock_on_hand)",
        "season_forecast": forecast,
        "category_interval_95": None,
        "service_level": service_level,
        "z": NormalDist().inv_cdf(service_level),
        "safety_stock": safety_units / forecast if forecast > 0 else 0.0,
        "safety_stock_units": safety_units,
        "safety_stock_bounds": list(bounds),
        "uploaded_safety_stock_stores": uploaded,
        "safety_stock_note": _safety_stock_note(uploaded, len(rows)),
        "stores": rows,
        "target_units": target,
        "stock_on_hand": stock_on_hand,
        "quantity": max(0, math.ceil(target - stock_on_hand - 1e-9)),
        "stock_covers_target": stock_on_hand >= target,
    }


def manufacturing_from_stores(
    category_code: str,
    stores: list[StoreDemand],
    stock_on_hand: int,
    *,
    service_level: float = DEFAULT_SERVICE_LEVEL,
    min_safety_stock: float = MIN_SAFETY_STOCK,
    max_safety_stock: float = MAX_SAFETY_STOCK,
    category_interval_95: tuple[float, float] | None = None,
    season_start: date | None = None,
    horizon_weeks: int | None = None,
) -> ManufacturingPlan:
    """Units to manufacture for one category from its stores' reconciled forecasts.

    Each store's safety stock comes from its own interval, as `manufacturing_quantity` sizes
    it for a category (same service level and bounds): the order is stocked into stores, so
    each store needs its own buffer. The category's quantity is the stores' forecasts plus
    their safety stocks, minus stock on hand. Without store forecasts the category's own
    interval is used.

    A store with `safety_stock_units` (uploaded) keeps that safety stock instead; with
    `season_start`, the reasoning says when the order must be at the DC (`dc_ship_by`).
    """
    bounds = {
        "service_level": service_level,
        "min_safety_stock": min_safety_stock,
        "max_safety_stock": max_safety_stock,
    }
    if not stores:
        low, high = category_interval_95 or (0.0, 0.0)
        return manufacturing_quantity(
            category_code, (low + high) / 2, low, high, stock_on_hand, **bounds
        )
    per_store = [
        manufacturing_quantity(
            s.store_code, max(s.season_total, 0.0), s.lower_95, s.upper_95, 0, **bounds
        )
        for s in stores
    ]
    rows = {
        s.store_code: _store_row(s, p, horizon_weeks)
        for s, p in zip(stores, per_store, strict=True)
    }
    reasoning = _stores_reasoning(
        rows, stock_on_hand, service_level, (min_safety_stock, max_safety_stock)
    )
    reasoning["category_interval_95"] = list(category_interval_95) if category_interval_95 else None
    if season_start is not None:
        reasoning["initial_shipment"] = dc_ship_by(
            season_start, {s.store_code: s.lead_time_days for s in stores}
        )
    return ManufacturingPlan(
        category_code=category_code,
        forecast_units=reasoning["season_forecast"],
        safety_stock_pct=reasoning["safety_stock"] * 100,
        stock_on_hand=stock_on_hand,
        quantity=reasoning["quantity"],
        reasoning=reasoning,
    )
