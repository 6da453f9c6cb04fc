"""The variance rule at, just below and just above its threshold; sell-through."""

from __future__ import annotations

import math

import pytest

from planner_forecast.variance import exceeds, relative_variance, sell_through, variance_check


def test_exactly_at_the_threshold_does_not_fire() -> None:
    result = variance_check({"A": [50.0, 50.0, 40.0]}, {"A": [60.0, 60.0]}, 2, 0.20)
    assert result.variance == pytest.approx(0.20)
    assert not result.exceeded
    assert not result.total_exceeded
    # Under-selling by exactly 20% is at the threshold too.
    low = variance_check({"A": [50.0, 50.0]}, {"A": [40.0, 40.0]}, 2, 0.20)
    assert not low.exceeded


def test_float_noise_at_the_threshold_does_not_decide() -> None:
    assert relative_variance(1.2, 1.0) != 0.2  # 0.19999999999999996
    assert not exceeds(relative_variance(1.2, 1.0), 0.2)
    assert not exceeds(relative_variance(0.7 + 0.5, 1.0), 0.2)


def test_just_above_the_threshold_fires() -> None:
    result = variance_check({"A": [50.0, 50.0]}, {"A": [60.0, 60.5]}, 2, 0.20)
    assert result.variance == pytest.approx(0.205)
    assert result.exceeded
    assert result.exceeded_categories == ["A"]


def test_one_category_fires_the_rule_when_the_total_does_not() -> None:
    forecast = {"TOPS": [100.0, 100.0], "DENIM": [10.0, 10.0]}
    actual = {"TOPS": [100.0, 100.0], "DENIM": [15.0, 15.0]}
    anyone = variance_check(forecast, actual, 2, 0.20)
    assert anyone.variance == pytest.approx(10 / 220)
    assert not anyone.total_exceeded
    assert anyone.exceeded_categories == ["DENIM"]
    assert anyone.exceeded
    total_only = variance_check(forecast, actual, 2, 0.20, trigger="total")
    assert not total_only.exceeded


def test_a_forecast_under_one_unit_is_compared_as_one_unit() -> None:
    assert relative_variance(0.0, 0.0) == 0.0
    assert relative_variance(3.0, 0.0) == 3.0
    assert relative_variance(3.0, 0.5) == 2.5
    assert relative_variance(0.0, 0.5) == 0.5
    # Finite, so the check can travel as JSON (an event, a JSON column) as any other.
    assert math.isfinite(relative_variance(1e9, 0.0))
    result = variance_check({"A": [0.0], "B": [10.0]}, {"A": [3.0], "B": [10.0]}, 1, 0.2)
    assert result.exceeded_categories == ["A"]
    assert result.variance == pytest.approx(0.3)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="needed"):
        variance_check({"A": [1.0]}, {"A": [1.0, 1.0]}, 2, 0.2)
    with pytest.raises(ValueError, match="no forecast"):
        variance_check({"A": [1.0]}, {"B": [1.0]}, 1, 0.2)


def test_sell_through_counts_store_allocation_and_dc_stock() -> None:
    result = sell_through(
        6,
        sold={"TOPS": 330.0, "DENIM": 100.0},
        allocated={"TOPS": 550, "DENIM": 300},
        dc_units={"TOPS": 450, "DENIM": 200},
        target=0.60,
    )
    assert result.by_category == {"DENIM": pytest.approx(0.2), "TOPS": pytest.approx(0.33)}
    assert result.sell_through == pytest.approx(430 / 1500)
    assert result.below_target
    assert result.below_target_categories == ["DENIM", "TOPS"]
    assert result.available == {"DENIM": 500, "TOPS": 1000}

    at_target = sell_through(6, {"A": 60.0}, {"A": 100}, {"A": 0}, 0.60)
    assert not at_target.below_target
    empty = sell_through(6, {}, {"A": 0}, {}, 0.60)
    assert empty.sell_through == 0.0
