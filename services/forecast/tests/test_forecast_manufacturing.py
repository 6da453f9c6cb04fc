"""Manufacturing quantity arithmetic, safety stock bounds and the never-negative rule."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from planner_forecast.manufacturing import manufacturing_quantity


def test_known_answer() -> None:
    # 95% interval 1000 +- 196 -> sigma 100; 90% service level -> z = 1.2816 -> 12.8%.
    z95 = NormalDist().inv_cdf(0.975)
    plan = manufacturing_quantity("TOPS", 1000.0, 1000 - 100 * z95, 1000 + 100 * z95, 100)

    z90 = NormalDist().inv_cdf(0.90)
    assert plan.safety_stock_pct == pytest.approx(100 * z90 * 100 / 1000)
    assert plan.quantity == math.ceil(1000 * (1 + z90 / 10) - 100) == 1029
    assert plan.reasoning["demand_sigma"] == pytest.approx(100.0)
    assert plan.reasoning["safety_stock_clamped_to"] is None
    assert plan.forecast_units == 1000.0
    assert plan.stock_on_hand == 100


def test_safety_stock_is_clamped_to_its_documented_range() -> None:
    narrow = manufacturing_quantity("A", 1000.0, 999.0, 1001.0, 0)
    assert narrow.safety_stock_pct == pytest.approx(5.0)
    assert narrow.reasoning["safety_stock_clamped_to"] == "floor"
    assert narrow.quantity == 1050

    wide = manufacturing_quantity("A", 1000.0, 0.0, 5000.0, 0)
    assert wide.safety_stock_pct == pytest.approx(50.0)
    assert wide.reasoning["safety_stock_clamped_to"] == "cap"
    assert wide.quantity == 1500


def test_quantity_is_never_negative() -> None:
    plan = manufacturing_quantity("A", 100.0, 80.0, 120.0, 10_000)
    assert plan.quantity == 0
    assert plan.reasoning["stock_covers_target"] is True

    nothing = manufacturing_quantity("A", 0.0, 0.0, 0.0, 0)
    assert (nothing.quantity, nothing.safety_stock_pct) == (0, 0.0)


def test_float_noise_does_not_add_a_unit() -> None:
    plan = manufacturing_quantity("A", 100.0, 100.0, 100.0, 0, min_safety_stock=0.1)
    assert plan.quantity == 110


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        manufacturing_quantity("A", -1.0, 0.0, 0.0, 0)
    with pytest.raises(ValueError, match="service level"):
        manufacturing_quantity("A", 1.0, 0.0, 2.0, 0, service_level=1.0)
