"""The markdown on the sample: the history's prices give back the generator's elasticities,
and each category's own depth never earns less margin than no markdown."""

from __future__ import annotations

import pytest

from planner_shared.price_elasticity import HISTORY
from planner_shared.stock.outlook import best_by_category
from planner_shared.stock.season import SeasonStock
from planner_tools.datasets.generator import CATEGORIES
from planner_tools.datasets.sample_markdown import checkpoint, report, sample_season


@pytest.fixture(scope="module")
def stock() -> SeasonStock:
    return sample_season()


def test_the_estimates_recover_the_generators_elasticities_within_25_percent(
    stock: SeasonStock,
) -> None:
    truth = {c.code: c.demand_elasticity for c in CATEGORIES}
    assert set(stock.elasticities) == set(truth)
    for code, estimate in stock.elasticities.items():
        assert estimate.source == HISTORY
        assert estimate.elasticity is not None
        assert estimate.lower is not None
        assert estimate.upper is not None
        assert abs(estimate.elasticity - truth[code]) <= 0.25 * abs(truth[code]), code
        assert estimate.lower < estimate.elasticity < estimate.upper
        assert estimate.price_changes >= 100


def test_each_category_gets_its_own_markdown_and_none_lowers_margin(stock: SeasonStock) -> None:
    outcomes = checkpoint(stock)
    best = best_by_category(outcomes, 40)
    at = {o.percentage: o for o in outcomes}
    for code, depth in best.items():
        assert depth is not None
        chosen = at[depth].by_category[code].season_margin
        none = at[0.0].by_category[code].season_margin
        assert chosen is not None
        assert none is not None
        assert chosen >= none, code
        assert chosen == max(o.by_category[code].season_margin or 0.0 for o in outcomes)
    # Dresses are far behind the target after week 6, outerwear far ahead: their own depths.
    assert best["DRES"] > 0
    assert best["OUTW"] == 0
    assert len(report(stock)) > 40
