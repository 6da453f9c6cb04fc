"""Scenario rules as pure functions: the allocation before the buy conserves units, the
levers change only what they name, the band holds the point, no levers is the live plan."""

from __future__ import annotations

from uuid import uuid4

import numpy as np
import pytest

from planner_shared.parameters import ReplenishmentStrategy
from planner_shared.stock.ledger import CategoryStockInputs
from planner_shared.stock.levers import ScenarioLevers, lever_problems
from planner_shared.stock.scenario import Fork, allocate, apply, compare, evaluate_levers
from planner_shared.stock.season import CategoryMoney, DemandPaths, SeasonStock

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
