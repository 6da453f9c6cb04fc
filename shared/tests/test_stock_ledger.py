"""The ledger's rules, each on its own invariant, without a database."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from planner_shared.parameters import ReplenishmentStrategy
from planner_shared.stock.alerts import alerts
from planner_shared.stock.ledger import CategoryStockInputs, build_category, share_out
from planner_shared.stock.money import figures, total
from planner_shared.stock.season import CategoryMoney

STRATEGIES = list(ReplenishmentStrategy)


def _inputs(
    *,
    initial: list[float],
    dc: float,
    demand: np.ndarray,
    sales: np.ndarray | None = None,
    transit: list[int] | None = None,
    strategy: ReplenishmentStrategy = ReplenishmentStrategy.WEEKLY,
    adjustments: np.ndarray | None = None,
) -> CategoryStockInputs:
    n = len(initial)
    return CategoryStockInputs(
        code="OUTW",
        stores=[f"S{i:03d}" for i in range(n)],
        horizon=demand.shape[0],
        strategy=strategy,
        initial=np.array(initial, dtype=float),
        dc_opening=dc,
        transit=np.array(transit or [1] * n, dtype=np.int64),
        actual_sales=np.zeros((0, n)) if sales is None else sales,
        demand=demand,
        adjustments=adjustments,
    )


@st.composite
def seasons(draw: st.DrawFn) -> CategoryStockInputs:
    n = draw(st.integers(1, 6))
    horizon = draw(st.integers(1, 14))
    units = st.integers(0, 400).map(float)
    initial = draw(st.lists(units, min_size=n, max_size=n))
    demand = draw(arrays(np.float64, (horizon, n), elements=st.floats(0, 300)))
    weeks_in = draw(st.integers(0, horizon))
    sales = draw(arrays(np.float64, (weeks_in, n), elements=units))
    adjustments = draw(arrays(np.float64, (horizon, n), elements=st.integers(-20, 40).map(float)))
    return _inputs(
        initial=initial,
        dc=float(draw(st.integers(0, 3000))),
        demand=demand,
        sales=sales,
        transit=draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)),
        strategy=draw(st.sampled_from(STRATEGIES)),
        adjustments=adjustments,
    )


@settings(max_examples=300, deadline=None)
@given(seasons())
def test_units_are_conserved_and_never_negative(inputs: CategoryStockInputs) -> None:
    ledger = build_category(inputs)
    assert abs(ledger.conservation_gap()) < 1e-6
    assert (ledger.closing >= -1e-9).all(), "a store's stock went negative"
    assert (ledger.dc_closing >= -1e-9).all(), "the DC's stock went negative"
    assert (ledger.lost >= -1e-9).all()
    # Sales never exceed what a store held: opening plus receipts.
    assert (ledger.sales <= ledger.opening + ledger.receipts + 1e-9).all()
    # Projected weeks sell the demand they can serve; the rest is lost.
    k = ledger.weeks_in
    assert np.allclose(ledger.sales[k:] + ledger.lost[k:], inputs.demand[k:])
    # Shipments are whole units, never more than the DC held.
    assert np.allclose(ledger.shipped, np.round(ledger.shipped))
    assert (ledger.shipped.sum(axis=1) <= ledger.dc_opening + 1e-9).all()


def test_sales_beyond_stock_are_posted_as_unrecorded_receipts() -> None:
    ledger = build_category(
        _inputs(
            initial=[10, 10],
            dc=0,
            demand=np.zeros((2, 2)),
            sales=np.array([[14.0, 3.0]]),
            strategy=ReplenishmentStrategy.NONE,
        )
    )
    assert ledger.unrecorded[0].tolist() == [4.0, 0.0]
    assert ledger.closing[0].tolist() == [0.0, 7.0]
    [alert] = [a for a in alerts(ledger, np.array([1, 1])) if a.kind == "sales_beyond_stock"]
    assert alert.units == 4
    assert alert.stores == ("S000",)


def test_replenishment_arrives_after_its_transit_and_is_shared_when_the_dc_is_short() -> None:
    demand = np.full((4, 2), 10.0)
    ledger = build_category(_inputs(initial=[10, 10], dc=15, demand=demand, transit=[1, 2]))
    # End of week 1: both ask 10, the DC holds 15: 8 and 7 (largest remainder, ties by store).
    assert ledger.shipped[0].tolist() == [8.0, 7.0]
    assert ledger.replenishment_in[1].tolist() == [8.0, 0.0]  # S000 one week later
    assert ledger.replenishment_in[2].tolist() == [0.0, 7.0]  # S001 two weeks later
    assert ledger.dc_shortfall[0] == 5.0
    # Week 2: S000 holds 8 of the 10 it would sell; S001 holds nothing.
    assert ledger.lost[1].tolist() == [2.0, 10.0]


def test_no_delivery_is_shipped_that_would_arrive_after_the_season() -> None:
    ledger = build_category(_inputs(initial=[5], dc=100, demand=np.full((3, 1), 5.0), transit=[2]))
    assert ledger.shipped[:, 0].tolist() == [5.0, 0.0, 0.0]  # week 2 + 2 > 3: not shipped
    assert ledger.dc_closing[-1] == 95.0


def test_lost_sales_of_a_week_in_are_estimated_from_the_stores_that_did_not_sell_out() -> None:
    # Both stores were forecast 10; S001 had stock and sold 25 (2.5x); S000 sold out at 12.
    ledger = build_category(
        _inputs(
            initial=[12, 100],
            dc=0,
            demand=np.full((2, 2), 10.0),
            sales=np.array([[12.0, 25.0]]),
            strategy=ReplenishmentStrategy.NONE,
        )
    )
    assert ledger.lost[0].tolist() == [13.0, 0.0]


def test_share_out_gives_whole_units_that_sum_to_what_there_is() -> None:
    units = share_out(10, np.array([7.0, 7.0, 7.0]))
    assert units.sum() == 10
    assert units.tolist() == [4.0, 3.0, 3.0]


@pytest.mark.parametrize("markdown", [0.0, 0.2])
def test_money_follows_the_units(markdown: float) -> None:
    ledger = build_category(
        _inputs(
            initial=[20],
            dc=0,
            demand=np.full((2, 1), 8.0),
            strategy=ReplenishmentStrategy.NONE,
        )
    )
    money = CategoryMoney("OUTW", "Outerwear", 100.0, 40.0, 15.0, -2.0, 20, 0)
    schedule = np.full(2, markdown)
    f = figures(ledger, money, schedule)
    assert f.units_sold == 16
    assert f.leftover_units == 4
    assert f.revenue == pytest.approx(16 * 100 * (1 - markdown))
    assert f.markdown_cost == pytest.approx(16 * 100 * markdown)
    assert f.gross_margin == pytest.approx(f.revenue - 16 * 40)
    assert f.leftover_value == pytest.approx(4 * 15)
    assert f.season_margin == pytest.approx(f.gross_margin + 4 * (15 - 40))
    assert f.sell_through == pytest.approx(16 / 20)
    both = total([f, f])
    assert both.revenue == pytest.approx(2 * f.revenue)
    assert both.gmroi == pytest.approx(f.gmroi)


def test_money_without_a_cost_says_so_instead_of_guessing() -> None:
    ledger = build_category(
        _inputs(initial=[5], dc=0, demand=np.ones((1, 1)), strategy=ReplenishmentStrategy.NONE)
    )
    f = figures(ledger, CategoryMoney("OUTW", "Outerwear", 100.0, None, None, None, 5, 0))
    assert f.revenue == 100.0
    assert f.gross_margin is None
    assert f.gmroi is None
    assert f.leftover_value is None


def test_alerts_name_the_store_stockout_within_lead_time_and_the_dc_running_dry() -> None:
    demand = np.full((6, 2), 10.0)
    ledger = build_category(_inputs(initial=[5, 40], dc=20, demand=demand, transit=[2, 2]))
    found = {a.kind: a for a in alerts(ledger, np.array([2, 2]))}
    assert found["store_stockout"].stores == ("S000",)
    assert found["store_stockout"].week_number == 1
    assert found["dc_stockout"].week_number <= 4
    assert "week" in found["dc_stockout"].message
    assert found["dc_stockout"].action


def test_bi_weekly_replenishment_replaces_two_weeks_on_even_weeks_rounding_half_up() -> None:
    sales = np.array([[10.0, 4.0], [6.0, 5.0], [8.0, 0.0], [2.0, 1.0]])
    ledger = build_category(
        _inputs(
            initial=[100, 100],
            dc=1000,
            demand=np.zeros((5, 2)),
            sales=sales,
            strategy=ReplenishmentStrategy.BI_WEEKLY,
        )
    )
    assert ledger.shipped.sum(axis=1).tolist() == [0.0, 25.0, 0.0, 11.0, 0.0]
    assert ledger.shipped[1].tolist() == [16.0, 9.0]
    # A projected week's fractional sales are asked for rounded half up.
    half = build_category(
        _inputs(initial=[10], dc=100, demand=np.array([[5.5], [0.0]]), transit=[1])
    )
    assert half.shipped[0].tolist() == [6.0]


def test_no_replenishment_ships_nothing() -> None:
    ledger = build_category(
        _inputs(
            initial=[10],
            dc=100,
            demand=np.full((4, 1), 3.0),
            strategy=ReplenishmentStrategy.NONE,
        )
    )
    assert ledger.shipped.sum() == 0
    assert ledger.dc_closing.tolist() == [100.0] * 4
