"""A markdown on the ledger: sold within stock, priced, and never chosen when it loses margin."""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

import numpy as np
import pytest

from planner_shared.parameters import ReplenishmentStrategy
from planner_shared.stock.ledger import CategoryStockInputs
from planner_shared.stock.outlook import (
    best_by_category,
    best_for_margin,
    candidate_depths,
    lines_outcome,
    markdown_outcome,
    markdown_outcomes,
)
from planner_shared.stock.season import CategoryMoney, DemandPaths, SeasonStock


def _season(*, initial: float, weekly_demand: float, elasticity: float | None) -> SeasonStock:
    horizon, stores = 8, ["S1", "S2"]
    demand = np.full((horizon, 2), weekly_demand)
    inputs = CategoryStockInputs(
        code="DRES",
        stores=stores,
        horizon=horizon,
        strategy=ReplenishmentStrategy.NONE,
        initial=np.full(2, initial),
        dc_opening=0.0,
        transit=np.ones(2, dtype=np.int64),
        actual_sales=demand[:4].copy(),
        demand=demand,
    )
    money = CategoryMoney("DRES", "Dresses", 80.0, 30.0, 16.0, elasticity, int(2 * initial), 0)
    return SeasonStock(
        workflow_id=uuid4(),
        horizon=horizon,
        weeks_in=4,
        strategy=ReplenishmentStrategy.NONE,
        checkpoint_week=4,
        stores=stores,
        transit=np.ones(2, dtype=np.int64),
        categories={"DRES": money},
        inputs={"DRES": inputs},
        paths={"DRES": DemandPaths(demand, demand * 0.8, demand * 1.2)},
        planned={"DRES": demand},
    )


def test_a_markdown_sells_more_within_the_stock_at_the_lower_price() -> None:
    stock = _season(initial=200, weekly_demand=10, elasticity=-2.0)
    none = markdown_outcome(stock, 0, 5)
    twenty = markdown_outcome(stock, 20, 5)
    lift = 0.8**-2.0
    # Weeks 5-8: 10 a week per store without, 10 x 1.5625 with; 160 held per store.
    assert none.total.units_sold == pytest.approx(2 * 80)
    assert twenty.total.units_sold == pytest.approx(2 * (40 + 40 * lift))
    assert twenty.total.revenue == pytest.approx(2 * (40 * 80 + 40 * lift * 64))
    assert twenty.total.markdown_cost == pytest.approx(2 * 40 * lift * 16)
    deep = markdown_outcome(stock, 100 - 1e-9, 5)
    assert deep.total.units_sold <= 2 * 200 + 1e-6  # never more than the stores hold


def test_the_best_depth_for_margin_never_loses_margin_against_no_markdown() -> None:
    for initial, demand, elasticity in ((200, 10, -2.0), (60, 10, -2.0), (400, 5, -4.0)):
        stock = _season(initial=initial, weekly_demand=demand, elasticity=elasticity)
        outcomes = markdown_outcomes(stock, candidate_depths(40), 5)
        best = best_for_margin(outcomes, 40)
        assert best is not None
        base = outcomes[0].margin
        assert base is not None
        assert best.margin is not None
        assert best.margin >= base
        assert best.margin == max(o.margin or 0.0 for o in outcomes)
    # Stock that sells out anyway: any markdown only gives money away.
    tight = _season(initial=60, weekly_demand=10, elasticity=-2.0)
    best = best_for_margin(markdown_outcomes(tight, candidate_depths(40), 5), 40)
    assert best is not None
    assert best.percentage == 0.0
    # Much stock left and elastic demand: a markdown earns more than clearance at salvage.
    heavy = _season(initial=400, weekly_demand=5, elasticity=-4.0)
    best = best_for_margin(markdown_outcomes(heavy, candidate_depths(40), 5), 40)
    assert best is not None
    assert best.percentage > 0


def test_without_an_elasticity_a_markdown_lifts_nothing() -> None:
    stock = _season(initial=200, weekly_demand=10, elasticity=None)
    assert markdown_outcome(stock, 30, 5).total.units_sold == pytest.approx(160)


def test_each_category_gets_its_own_best_depth_and_lines_apply_each_depth() -> None:
    # Two categories in one season: dresses with much stock left and elastic demand, knits
    # that sell out anyway.
    heavy = _season(initial=400, weekly_demand=5, elasticity=-4.0)
    tight = _season(initial=60, weekly_demand=10, elasticity=-2.0)
    knit_money = replace(tight.categories["DRES"], code="KNIT")
    knit_inputs = replace(tight.inputs["DRES"], code="KNIT")
    stock = replace(
        heavy,
        categories={**heavy.categories, "KNIT": knit_money},
        inputs={**heavy.inputs, "KNIT": knit_inputs},
        paths={**heavy.paths, "KNIT": tight.paths["DRES"]},
        planned={**heavy.planned, "KNIT": tight.planned["DRES"]},
    )
    outcomes = markdown_outcomes(stock, candidate_depths(40), 5)
    best = best_by_category(outcomes, 40)
    assert best["KNIT"] == 0.0
    assert best["DRES"] is not None
    assert best["DRES"] > 0
    at = {o.percentage: o for o in outcomes}
    for code, depth in best.items():
        assert depth is not None
        margin = at[depth].by_category[code].season_margin
        assert margin is not None
        assert margin >= (at[0.0].by_category[code].season_margin or 0.0)
    # Each at its own depth: the same figures as each category's own candidate.
    mixed = lines_outcome(stock, {"DRES": best["DRES"], "KNIT": 0.0}, 5)
    assert mixed.percentage == best["DRES"]
    assert mixed.by_category["DRES"] == at[best["DRES"]].by_category["DRES"]
    assert mixed.by_category["KNIT"] == at[0.0].by_category["KNIT"]
    assert mixed.margin == pytest.approx(
        (at[best["DRES"]].by_category["DRES"].season_margin or 0.0)
        + (at[0.0].by_category["KNIT"].season_margin or 0.0)
    )
    # A capped search never goes past its cap; an unknown cost makes the depth unknown.
    assert best_by_category(outcomes, 5)["DRES"] in (0.0, 5.0)
    no_cost = replace(knit_money, unit_cost=None)
    costless = replace(stock, categories={**stock.categories, "KNIT": no_cost})
    assert best_by_category(markdown_outcomes(costless, [0, 10], 5), 40)["KNIT"] is None
