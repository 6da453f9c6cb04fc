"""Scenario rules as pure functions: the allocation before the buy conserves units, the
levers change only what they name, the band holds the point, no levers is the live plan."""

from __future__ import annotations

from uuid import uuid4

import numpy as np
import pytest

from planner_shared.parameters import ReplenishmentStrategy, TransferStrategy
from planner_shared.stock.ledger import CategoryStockInputs
from planner_shared.stock.levers import ScenarioLevers, lever_problems
from planner_shared.stock.scenario import Fork, allocate, apply, compare, evaluate_levers
from planner_shared.stock.scenario_transfers import Transfers, simulate
from planner_shared.stock.season import CategoryMoney, DemandPaths, SeasonStock
from planner_shared.stock.transfers import TransferRules

HORIZON, STORES = 6, 4


def _fork(weeks_in: int = 0) -> Fork:
    rng = np.random.default_rng(3)
    stores = [f"S{i}" for i in range(STORES)]
    inputs, paths, money = {}, {}, {}
    for code in ("KNIT", "OUTW"):
        demand = rng.uniform(5, 30, (HORIZON, STORES))
        inputs[code] = CategoryStockInputs(
            code=code,
            stores=stores,
            horizon=HORIZON,
            strategy=ReplenishmentStrategy.WEEKLY,
            initial=np.zeros(STORES) if not weeks_in else np.full(STORES, 40.0),
            dc_opening=400.0,
            transit=np.ones(STORES, dtype=np.int64),
            actual_sales=np.floor(demand[:weeks_in] / 2),
            demand=demand,
        )
        paths[code] = DemandPaths(demand, demand * 0.7, demand * 1.4)
        money[code] = CategoryMoney(code, code, 100.0, 40.0, 20.0, -2.0, 500, 30)
    stock = SeasonStock(
        workflow_id=uuid4(),
        horizon=HORIZON,
        weeks_in=weeks_in,
        strategy=ReplenishmentStrategy.WEEKLY,
        checkpoint_week=3,
        stores=stores,
        transit=np.ones(STORES, dtype=np.int64),
        categories=money,
        inputs=inputs,
        paths=paths,
        planned={c: p.point for c, p in paths.items()},
        allocated=weeks_in > 0,
    )
    return Fork(stock, 40.0, {c: np.array([1.0, 2.0, 3.0, 4.0]) for c in money})


@pytest.mark.parametrize(("units", "pct"), [(500, 40.0), (1001, 30.0), (7, 99.0), (0, 0.0)])
def test_the_allocation_before_the_buy_conserves_units(units: int, pct: float) -> None:
    initial, kept = allocate(units, pct, np.array([1.0, 2.0, 3.0, 4.0]))
    assert initial.sum() + kept == units
    assert kept == int(units * pct / 100 + 0.5)
    assert np.all(initial == np.floor(initial))
    assert np.all(initial >= 0)


def test_levers_change_what_they_name_and_units_are_conserved() -> None:
    fork = _fork()
    levers = ScenarioLevers.model_validate(
        {
            "buy": {"outw": 800},
            "dc_holdback_percentage": 30,
            "replenishment_strategy": "bi_weekly",
            "demand_adjustment": {"KNIT": {"change_percentage": 10, "weeks": [2, 3]}},
            "markdown": {"OUTW": {"markdown_percentage": 25}},
        }
    )
    changed = apply(fork, levers)
    outw = changed.inputs["OUTW"]
    assert outw.initial.sum() == 800 - 240
    assert outw.dc_opening == 240 + 30
    assert changed.inputs["KNIT"].initial.sum() == 500 - 150  # its buy kept, the holdback not
    assert changed.strategy is ReplenishmentStrategy.BI_WEEKLY
    ratio = changed.paths["KNIT"].point / fork.stock.paths["KNIT"].point
    np.testing.assert_allclose(ratio[:, 0], [1, 1.1, 1.1, 1, 1, 1])
    np.testing.assert_allclose(changed.markdown["OUTW"], [0, 0, 0, 0.25, 0.25, 0.25])
    for code in changed.categories:
        for path in ("point", "lower", "upper"):
            assert abs(changed.ledger(code, path=path).conservation_gap()) < 1e-6
    assert fork.stock.inputs["OUTW"].initial.sum() == 0  # the fork itself is untouched


def test_no_levers_is_the_live_plan_and_the_band_holds_the_point() -> None:
    fork = _fork(weeks_in=2)
    live = evaluate_levers(fork, ScenarioLevers())
    again = evaluate_levers(fork, ScenarioLevers.model_validate({}))
    assert all(v in (0, None) for v in compare(again, live).total.values())
    more = evaluate_levers(
        fork,
        ScenarioLevers.model_validate({"demand_adjustment": {"KNIT": {"change_percentage": 50}}}),
    )
    gain = compare(more, live).categories["KNIT"]["units_sold"]
    assert gain is not None
    assert gain > 0
    for figures in (live.total, *live.categories):
        for band in (figures.units_sold, figures.lost_sales, figures.leftover_units):
            assert band.lower_80 is not None
            assert band.upper_80 is not None
            assert band.lower_80 <= (band.point or 0) <= band.upper_80


def test_in_season_the_buy_and_the_holdback_are_refused_and_weeks_in_are_past() -> None:
    fork = _fork(weeks_in=2)
    levers = ScenarioLevers.model_validate(
        {
            "buy": {"KNIT": 10},
            "dc_holdback_percentage": 20,
            "markdown": {"KNIT": {"markdown_percentage": 10, "markdown_checkpoint_week": 1}},
        }
    )
    paths = [path for path, _ in lever_problems(levers, fork.stock)]
    assert paths == [
        "levers.buy",
        "levers.dc_holdback_percentage",
        "levers.markdown.KNIT.markdown_checkpoint_week",
    ]


def _uneven(strategy: TransferStrategy) -> Fork:
    """Three weeks into an eight-week season: S0-S2 sell twice their plan and will run out,
    S3-S5 sell 30 % of it and will be left with stock; the DC is empty, nothing replenishes."""
    stores = [f"S{i}" for i in range(6)]
    horizon, k = 8, 3
    fast = np.array([1, 1, 1, 0, 0, 0], dtype=bool)
    plan = np.full((horizon, 6), 40.0)
    sold = np.where(fast, 80.0, 12.0)[None, :].repeat(k, axis=0)
    # The re-forecast follows the stores: the weeks ahead as they sell.
    demand = plan.copy()
    demand[k:] = np.where(fast, 80.0, 12.0)
    inputs = CategoryStockInputs(
        code="KNIT",
        stores=stores,
        horizon=horizon,
        strategy=ReplenishmentStrategy.NONE,
        initial=np.full(6, 400.0),
        dc_opening=0.0,
        transit=np.ones(6, dtype=np.int64),
        actual_sales=sold,
        demand=demand,
    )
    stock = SeasonStock(
        workflow_id=uuid4(),
        horizon=horizon,
        weeks_in=k,
        strategy=ReplenishmentStrategy.NONE,
        checkpoint_week=None,
        stores=stores,
        transit=np.ones(6, dtype=np.int64),
        categories={"KNIT": CategoryMoney("KNIT", "Knit", 100.0, 40.0, 20.0, -2.0, 2400, 0)},
        inputs={"KNIT": inputs},
        paths={"KNIT": DemandPaths(demand, demand * 0.7, demand * 1.4)},
        planned={"KNIT": plan},
    )
    transfers = Transfers(strategy, TransferRules(unit_cost=1.5))
    return Fork(stock, 0.0, {"KNIT": np.ones(6)}, transfers)


def test_hybrid_transfers_on_an_uneven_season_cut_lost_sales_and_conserve_units() -> None:
    fork = _uneven(TransferStrategy.NONE)
    kept = {name: getattr(fork.stock.inputs["KNIT"], name) for name in ("initial", "demand")}
    live = evaluate_levers(fork, ScenarioLevers())
    hybrid = evaluate_levers(fork, ScenarioLevers(transfer_strategy="hybrid"))
    dc_only = evaluate_levers(fork, ScenarioLevers(transfer_strategy="dc_only"))
    assert (live.transfer_strategy, hybrid.transfer_strategy) == ("none", "hybrid")
    # Without transfers the fast stores (160 left after week 3) run out after week 5 and
    # lose 80 a week in weeks 6 to 8: 240 each.
    assert live.total.lost_sales.point == 720.0
    assert live.categories[0].units_transferred == 0
    knit = hybrid.categories[0]
    assert knit.units_transferred >= 50
    # Every unit moved is a sale the slow stores would not make: lost sales and leftover fall
    # by the same units, and the margin rises (each sold at 100 instead of cleared at 20,
    # less 1.5 a unit moved).
    saved = (live.total.lost_sales.point or 0) - (hybrid.total.lost_sales.point or 0)
    assert saved > 0
    assert (live.total.leftover_units.point or 0) - (hybrid.total.leftover_units.point or 0) == (
        saved
    )
    assert (hybrid.total.season_margin.point or 0) > (live.total.season_margin.point or 0)
    for band in (hybrid.total.lost_sales, hybrid.total.units_sold):
        assert band.lower_80 is not None
        assert band.upper_80 is not None
        assert band.lower_80 <= (band.point or 0) <= band.upper_80
    # The DC holds nothing: 'dc_only' has nothing to release.
    assert dc_only.total.lost_sales.point == live.total.lost_sales.point
    assert dc_only.categories[0].units_transferred == 0
    # On every path the moves are posted by the season's rule and units are conserved: what
    # the fast stores receive the slow ones give, and nothing is made or lost on the way.
    transfers = Transfers(TransferStrategy.HYBRID, fork.transfers.rules)
    for path in ("point", "lower", "upper"):
        played = simulate(fork.stock, "KNIT", path, transfers)
        ledger = played.ledger
        assert abs(ledger.conservation_gap()) < 1e-6
        assert ledger.transfers_in.sum() == ledger.transfers_out.sum() == played.units_moved
        assert {m.source for m in played.moves} <= {"S3", "S4", "S5"}
        assert {m.target for m in played.moves} <= {"S0", "S1", "S2"}
        assert all(50 <= m.units <= 300 and m.ship_week >= 3 for m in played.moves)
        assert np.all(ledger.closing >= -1e-9)
        assert ledger.sales.sum() + ledger.leftover == 2400
    # The fork itself is untouched.
    for name, value in kept.items():
        assert np.array_equal(getattr(fork.stock.inputs["KNIT"], name), value)
    assert fork.stock.inputs["KNIT"].transfers_in is None
