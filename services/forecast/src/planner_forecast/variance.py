"""In-season checks: forecast variance over the weeks so far, and sell-through at a checkpoint.

Variance of a category = |sum of actuals - sum of forecasts| / sum of forecasts over weeks
1..k of the season (cumulative, so one odd week does not fire the rule when the weeks around
it balance out); the total is the same over all categories together.

The rule fires when a variance is strictly greater than the threshold; a variance equal to it
does not fire ("above the threshold" in the design). Variances within 1e-9 of the threshold
count as equal, so float noise (|1.2 - 1.0| / 1.0 = 0.19999999999999996) cannot decide. With
`trigger="any"` (the default) it fires when the total or any single category is above the
threshold: re-forecasting is per category, and a category off by 40% inside a total off by 5%
still needs it. `trigger="total"` looks at the total only.

A forecast below one unit is compared as one unit: selling 3 against a forecast of nothing is
a 300% variance (it fires), and the figure stays finite, so it can travel in an event and a
JSON column and be shown to a planner. Nothing sold against nothing forecast is 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

_TOLERANCE = 1e-9
MIN_FORECAST_UNITS = 1.0


def relative_variance(actual: float, forecast: float) -> float:
    if forecast < 0 or actual < 0:
        raise ValueError("units must not be negative")
    return abs(actual - forecast) / max(forecast, MIN_FORECAST_UNITS)


def exceeds(variance: float, threshold: float) -> bool:
    """True when `variance` is above `threshold` (equal, within 1e-9, is not above)."""
    return variance > threshold and not math.isclose(
        variance, threshold, rel_tol=_TOLERANCE, abs_tol=_TOLERANCE
    )


class CategoryVariance(BaseModel):
    model_config = ConfigDict(frozen=True)

    category_code: str
    forecast_units: float
    actual_units: float
    variance: float
    exceeded: bool


class VarianceResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    weeks_so_far: int
    threshold: float
    trigger: Literal["any", "total"]
    forecast_units: float
    actual_units: float
    variance: float
    total_exceeded: bool
    categories: list[CategoryVariance]
    exceeded_categories: list[str]
    exceeded: bool


def variance_check(
    forecast: Mapping[str, Sequence[float]],
    actual: Mapping[str, Sequence[float]],
    weeks_so_far: int,
    threshold: float,
    trigger: Literal["any", "total"] = "any",
) -> VarianceResult:
    """Check the season so far: weekly forecast and actual units per category code.

    Weeks 1..`weeks_so_far` are compared; every forecast category must have that many
    forecast weeks, and a category with no actuals given counts as selling nothing.
    """
    if weeks_so_far < 1:
        raise ValueError("weeks_so_far must be at least 1")
    if threshold < 0:
        raise ValueError("threshold must not be negative")
    unknown = set(actual) - set(forecast)
    if unknown:
        raise ValueError(f"actuals for categories with no forecast: {sorted(unknown)}")
    categories = []
    for code in sorted(forecast):
        weeks = forecast[code]
        if len(weeks) < weeks_so_far:
            raise ValueError(f"category {code}: {len(weeks)} forecast weeks, {weeks_so_far} needed")
        sold = actual.get(code, [])
        if len(sold) > weeks_so_far:
            raise ValueError(f"category {code}: actuals beyond week {weeks_so_far}")
        f = float(sum(weeks[:weeks_so_far]))
        a = float(sum(sold))
        v = relative_variance(a, f)
        categories.append(
            CategoryVariance(
                category_code=code,
                forecast_units=f,
                actual_units=a,
                variance=v,
                exceeded=exceeds(v, threshold),
            )
        )
    total_f = sum(c.forecast_units for c in categories)
    total_a = sum(c.actual_units for c in categories)
    total_v = relative_variance(total_a, total_f)
    total_exceeded = exceeds(total_v, threshold)
    exceeded_categories = [c.category_code for c in categories if c.exceeded]
    fired = total_exceeded or (trigger == "any" and bool(exceeded_categories))
    return VarianceResult(
        weeks_so_far=weeks_so_far,
        threshold=threshold,
        trigger=trigger,
        forecast_units=total_f,
        actual_units=total_a,
        variance=total_v,
        total_exceeded=total_exceeded,
        categories=categories,
        exceeded_categories=exceeded_categories,
        exceeded=fired,
    )


# ----------------------------------------------------------------------------- sell-through
class SellThroughResult(BaseModel):
    """Sell-through = units sold so far / units available for the season.

    Units available = units allocated to stores at the start of the season + units held at
    the DC (the holdback): everything the season had to sell. Replenishment only moves units
    from the DC to a store, so it changes neither side. 0 when nothing was available.
    """

    model_config = ConfigDict(frozen=True)

    week_number: int
    sell_through: float
    by_category: dict[str, float]
    sold: dict[str, float]
    available: dict[str, int]
    target: float
    below_target: bool
    below_target_categories: list[str]


def sell_through(
    week_number: int,
    sold: Mapping[str, float],
    allocated: Mapping[str, int],
    dc_units: Mapping[str, int],
    target: float,
) -> SellThroughResult:
    """Sell-through per category and overall at a checkpoint week.

    `sold` is units sold in weeks 1..`week_number`, `allocated` the initial store allocation
    and `dc_units` the DC holdback, all by category code.
    """
    codes = sorted(set(allocated) | set(dc_units) | set(sold))
    if any(sold.get(c, 0) < 0 for c in codes):
        raise ValueError("units sold must not be negative")
    available = {c: int(allocated.get(c, 0)) + int(dc_units.get(c, 0)) for c in codes}
    units = {c: float(sold.get(c, 0.0)) for c in codes}

    def ratio(numerator: float, denominator: int) -> float:
        return numerator / denominator if denominator > 0 else 0.0

    by_category = {c: ratio(units[c], available[c]) for c in codes}
    overall = ratio(sum(units.values()), sum(available.values()))
    return SellThroughResult(
        week_number=week_number,
        sell_through=overall,
        by_category=by_category,
        sold=units,
        available=available,
        target=target,
        below_target=overall < target,
        below_target_categories=[c for c in codes if by_category[c] < target],
    )
