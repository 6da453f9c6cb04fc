"""Allocation sums exactly and respects minimums (replenishment: test_stock_ledger.py)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from planner_forecast.allocation import (
    AllocationError,
    allocate_category,
    allocate_season,
    holdback_units,
    largest_remainder,
    refuse_holdback_leaving_too_little,
    split_with_minimums,
)


def test_largest_remainder_known_answers() -> None:
    assert largest_remainder(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert largest_remainder(7, {"a": 0.5, "b": 0.3, "c": 0.2}) == {"a": 4, "b": 2, "c": 1}
    assert largest_remainder(5, {"a": 0, "b": 0}) == {"a": 3, "b": 2}
    assert largest_remainder(0, {"a": 3}) == {"a": 0}
    with pytest.raises(AllocationError):
        largest_remainder(3, {})


def test_minimums_are_met_and_the_rest_shared_by_demand() -> None:
    # Proportional shares would be 90 / 9 / 1; b and c are lifted to 10, a gets the rest.
    assert split_with_minimums(100, {"a": 90, "b": 9, "c": 1}, {"a": 10, "b": 10, "c": 10}) == {
        "a": 80,
        "b": 10,
        "c": 10,
    }
    # Exactly enough for the minimums.
    assert split_with_minimums(30, {"a": 90, "b": 9, "c": 1}, {"a": 10, "b": 10, "c": 10}) == {
        "a": 10,
        "b": 10,
        "c": 10,
    }


def test_total_below_the_minimums_is_refused() -> None:
    with pytest.raises(AllocationError, match="short by 1"):
        split_with_minimums(29, {"a": 1, "b": 1, "c": 1}, {"a": 10, "b": 10, "c": 10})
    with pytest.raises(AllocationError, match="after the 50% DC holdback"):
        allocate_category("TOPS", 100, 50.0, {"s1": 1.0, "s2": 1.0}, min_display=30)


def test_holdback_rounds_half_up() -> None:
    assert holdback_units(1000, 45.0) == 450
    assert holdback_units(11, 50.0) == 6
    assert holdback_units(10, 33.3) == 3
    assert holdback_units(7, 0.0) == 0
    assert holdback_units(7, 100.0) == 7


def test_category_allocation_across_clusters_and_stores() -> None:
    demand = {"s1": 500.0, "s2": 300.0, "s3": 150.0, "s4": 40.0, "s5": 10.0}
    clusters = {"s1": 0, "s2": 0, "s3": 1, "s4": 1, "s5": 1}
    result = allocate_category("TOPS", 2000, 45.0, demand, min_display=20, clusters=clusters)

    assert result.dc_holdback_units == 900
    assert result.store_units == 1100
    assert sum(result.by_store.values()) == 1100
    assert sum(result.by_cluster.values()) == 1100
    assert result.by_cluster[0] == result.by_store["s1"] + result.by_store["s2"]
    assert all(units >= 20 for units in result.by_store.values())
    assert result.by_store["s5"] == 20
    assert result.by_store["s1"] > result.by_store["s2"] > result.by_store["s3"]


def test_property_sums_exact_and_minimums_hold_over_random_inputs() -> None:
    rng = np.random.default_rng(20240601)
    for _ in range(300):
        stores = [f"S{i:03d}" for i in range(int(rng.integers(1, 60)))]
        demand = {s: float(rng.choice([0.0, rng.lognormal(3, 1.5)])) for s in stores}
        minimum = int(rng.integers(0, 12))
        clusters = {s: int(rng.integers(0, 4)) for s in stores}
        holdback = float(rng.choice([0.0, 25.0, 45.0, 37.5, 100.0]))
        pool_needed = minimum * len(stores)
        approved = int(rng.integers(0, 4 * pool_needed + 500))
        pool = approved - holdback_units(approved, holdback)
        if pool < pool_needed:
            with pytest.raises(AllocationError):
                allocate_category("C", approved, holdback, demand, minimum, clusters)
            continue
        result = allocate_category("C", approved, holdback, demand, minimum, clusters)
        assert result.dc_holdback_units + sum(result.by_store.values()) == approved
        assert all(units >= minimum for units in result.by_store.values())
        assert all(isinstance(units, int) for units in result.by_store.values())
        assert sum(result.by_cluster.values()) == result.store_units


def test_property_unconstrained_split_is_within_one_unit_of_the_quota() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        weights = {f"K{i}": float(rng.uniform(0, 100)) for i in range(int(rng.integers(1, 40)))}
        total = int(rng.integers(0, 10_000))
        units = largest_remainder(total, weights)
        assert sum(units.values()) == total
        mass = sum(Fraction(w) for w in weights.values())
        for key, weight in weights.items():
            quota = total * Fraction(weight) / mass
            assert abs(units[key] - quota) < 1


def test_season_allocation_per_category() -> None:
    demand = {"TOPS": {"a": 3.0, "b": 1.0}, "DENIM": {"a": 1.0, "b": 1.0}}
    result = allocate_season({"TOPS": 100, "DENIM": 50}, 20.0, demand, {"TOPS": 5, "DENIM": 0})
    assert result["TOPS"].by_store == {"a": 60, "b": 20}
    assert result["DENIM"].by_store == {"a": 20, "b": 20}
    with pytest.raises(AllocationError, match="no store demand"):
        allocate_season({"SHOES": 10}, 0.0, demand, 0)


def test_a_holdback_that_leaves_the_stores_short_is_refused_at_the_proposal() -> None:
    """Issue 22, point 11: found when the order is proposed, not after it is approved."""
    with pytest.raises(AllocationError, match=r"99.9999% DC holdback leaves the stores 0"):
        refuse_holdback_leaving_too_little({"DRESS": 12_000, "KNIT": 8_000}, 99.9999, 40, 2)
    # What allocate_category would accept passes: 45% of 12,000 leaves 6,600 for 80 units.
    refuse_holdback_leaving_too_little({"DRESS": 12_000, "KNIT": 8_000}, 45, 40, 2)
    allocate_category("DRESS", 12_000, 45, {f"S{i}": 1.0 for i in range(40)}, 2)
    # An order too small for the stores whatever the holdback is not the holdback's fault.
    refuse_holdback_leaving_too_little({"DRESS": 50}, 99.9999, 40, 2)
