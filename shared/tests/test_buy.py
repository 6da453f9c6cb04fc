"""The newsvendor buy (planner_shared.buy) against scipy, and its invariants: the optimum no
worse than the rule it replaces or its neighbours, splits that conserve units, bounds held."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from planner_shared.buy import (
    BuyError,
    Economics,
    SeasonDemand,
    evaluate,
    expected_margin,
    line_bounds,
    newsvendor,
    split_total,
)

# The sample's outerwear (data/sample/categories.csv) and its first forecast's intervals
# (scripts/buy_example.py).
OUTERWEAR = Economics(price=189.0, cost=76.0, salvage=38.0)
OUTERWEAR_DEMAND = SeasonDemand.from_intervals(8435.0, 7525.0, 9345.0, 6951.0, 9919.0)


def test_the_distribution_fits_both_intervals() -> None:
    # Symmetric intervals of one normal give back its sigma exactly.
    sigma, mean = 500.0, 8000.0
    z80, z95 = stats.norm.ppf(0.9), stats.norm.ppf(0.975)
    fitted = SeasonDemand.from_intervals(
        mean, mean - z80 * sigma, mean + z80 * sigma, mean - z95 * sigma, mean + z95 * sigma
    )
    assert fitted.mean == mean
    assert fitted.sigma == pytest.approx(sigma)


@pytest.mark.parametrize(
    ("price", "cost", "salvage"),
    [(189.0, 76.0, 38.0), (69.0, 26.0, 14.0), (79.0, 30.0, 16.0), (29.0, 9.0, 5.0), (10, 8, 0)],
)
def test_the_quantity_is_the_critical_ratio_quantile(
    price: float, cost: float, salvage: float
) -> None:
    money = Economics(price, cost, salvage)
    demand = OUTERWEAR_DEMAND
    ratio = (price - cost) / (price - salvage)
    assert money.critical_ratio == pytest.approx(ratio)
    target = stats.norm.ppf(ratio, loc=demand.mean, scale=demand.sigma)
    buy = newsvendor(demand, money, stock_on_hand=1270)
    assert buy.target_units == pytest.approx(target, rel=1e-9)
    assert abs(buy.quantity - (target - 1270)) < 1  # one of the two whole numbers around it
    assert buy.service_level == pytest.approx(
        stats.norm.cdf(buy.quantity + 1270, demand.mean, demand.sigma)
    )


def test_stock_covering_the_target_orders_nothing() -> None:
    buy = newsvendor(OUTERWEAR_DEMAND, OUTERWEAR, stock_on_hand=20_000)
    assert buy.quantity == 0
    assert buy.service_level == pytest.approx(1.0)


@pytest.mark.parametrize("units", [6000.0, 8435.0, 9500.0])
def test_expected_margin_matches_integration(units: float) -> None:
    d = OUTERWEAR_DEMAND
    p, c, s = OUTERWEAR.price, OUTERWEAR.cost, OUTERWEAR.salvage

    def margin(x: float) -> float:
        sold = min(units, x)
        return (p * sold + s * (units - sold) - c * units) * stats.norm.pdf(x, d.mean, d.sigma)

    lo, hi = d.mean - 12 * d.sigma, d.mean + 12 * d.sigma
    exact = integrate.quad(margin, lo, units)[0] + integrate.quad(margin, units, hi)[0]
    assert expected_margin(d, OUTERWEAR, units) == pytest.approx(exact, rel=1e-7)


def test_the_optimum_is_no_worse_than_the_rule_or_its_neighbours() -> None:
    on_hand = 1270
    best = newsvendor(OUTERWEAR_DEMAND, OUTERWEAR, on_hand)
    # The safety-stock rule's order on the sample (scripts/buy_example.py): 8,271.
    rule = evaluate(OUTERWEAR_DEMAND, OUTERWEAR, on_hand, 8271)
    assert best.expected_margin >= rule.expected_margin
    for factor in (0.9, 1.1):
        other = evaluate(OUTERWEAR_DEMAND, OUTERWEAR, on_hand, round(best.quantity * factor))
        assert best.expected_margin > other.expected_margin
    # And one unit either side: the whole-unit order is the integer optimum.
    for step in (-1, 1):
        near = evaluate(OUTERWEAR_DEMAND, OUTERWEAR, on_hand, best.quantity + step)
        assert best.expected_margin >= near.expected_margin - 1e-6


@settings(max_examples=100, deadline=None)
@given(
    mean=st.floats(10, 1e5),
    spread=st.floats(0.01, 0.5),
    cost=st.floats(0.05, 0.95),
    salvage=st.floats(0.0, 0.9),
    on_hand=st.integers(0, 5000),
    other=st.floats(0, 3),
)
def test_no_other_order_beats_the_newsvendor(
    mean: float, spread: float, cost: float, salvage: float, on_hand: int, other: float
) -> None:
    money = Economics(100.0, 100.0 * cost, 100.0 * cost * salvage)
    z = stats.norm.ppf(0.975)
    demand = SeasonDemand.from_intervals(
        mean,
        mean * (1 - spread),
        mean * (1 + spread),
        mean * (1 - z * spread),
        mean * (1 + z * spread),
    )
    best = newsvendor(demand, money, on_hand)
    rival = evaluate(demand, money, on_hand, round(other * mean))
    assert best.expected_margin >= rival.expected_margin - 1e-6 * max(
        1.0, abs(rival.expected_margin)
    )


def test_money_that_makes_no_sense_is_refused() -> None:
    with pytest.raises(BuyError, match="unit cost"):
        Economics(price=50, cost=60, salvage=10)
    with pytest.raises(BuyError, match="salvage"):
        Economics(price=50, cost=20, salvage=50)


@settings(max_examples=100, deadline=None)
@given(
    total=st.integers(0, 200_000),
    shares=st.dictionaries(
        st.sampled_from(["OUTW", "KNIT", "DRES", "ACCS"]), st.integers(0, 40_000), min_size=1
    ),
)
def test_a_split_total_conserves_units(total: int, shares: dict[str, int]) -> None:
    split = split_total(total, {k: float(v) for k, v in shares.items()})
    assert sum(split.values()) == total
    assert set(split) == set(shares)
    mass = sum(shares.values())
    for code, units in split.items():
        quota = total * shares[code] / mass if mass else total / len(shares)
        assert abs(units - quota) < 1  # largest remainder: never a whole unit off its share


def test_line_bounds_let_one_line_take_the_whole_range() -> None:
    lines = {"ACCS": 23864, "DRES": 31403, "KNIT": 8863, "OUTW": 7662}
    total = sum(lines.values())
    bounds = line_bounds(lines, total - 14000, total + 14000)
    assert bounds["OUTW"] == (0, 7662 + 14000)
    assert bounds["DRES"] == (31403 - 14000, 31403 + 14000)
    # A total split by shares anywhere in the order's range stays within every line's bounds.
    for decided in (total - 14000, total + 14000, total + 6155):
        split = split_total(decided, {k: float(v) for k, v in lines.items()})
        assert all(bounds[k][0] <= split[k] <= bounds[k][1] for k in lines)
