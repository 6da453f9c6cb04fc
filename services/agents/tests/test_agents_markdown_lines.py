"""The pricing agent's markdown by category on the sample's checkpoint: each category its own
depth for margin, the rule's beside it, and what it gains said in numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from planner_agents.analysis import propose_markdown
from planner_agents.context import RunContext
from planner_agents.stock_facts import StockFacts
from planner_shared.events import SellThroughComputedPayload
from planner_shared.stock.season import SeasonStock
from planner_tools.datasets.sample_markdown import checkpoint, sample_season

ContextFactory = Callable[..., RunContext]


@pytest.fixture(scope="module")
def stock() -> SeasonStock:
    return sample_season()


def _facts(stock: SeasonStock) -> StockFacts:
    outcomes = checkpoint(stock)
    return StockFacts(
        margins={o.percentage: o.margin for o in outcomes},
        revenues={o.percentage: o.total.revenue for o in outcomes},
        weeks_in=stock.weeks_in,
        outcomes=outcomes,
        elasticities=dict(stock.elasticities),
    )


def test_each_category_is_proposed_its_own_depth_for_margin(
    make_context: ContextFactory, stock: SeasonStock
) -> None:
    # The sample after week 6: dresses far behind, outerwear and knitwear ahead.
    sell_through = SellThroughComputedPayload(
        week_number=6,
        sell_through=0.55,
        by_category={"ACCS": 0.521, "DRES": 0.371, "KNIT": 0.743, "OUTW": 0.848},
        target=0.6,
        below_target=True,
    )
    overrides: dict[str, Any] = {
        "sell_through": sell_through,
        "elasticities": {"ACCS": 1.0, "DRES": 1.2, "KNIT": 1.4, "OUTW": 1.6},
        "stock": _facts(stock),
    }
    ctx = make_context(**overrides)
    result = propose_markdown(ctx, "")
    proposal = result.proposal
    assert proposal is not None
    lines = {line.category_code: line for line in proposal.lines}
    assert set(lines) == {"ACCS", "DRES", "KNIT", "OUTW"}
    for line in lines.values():
        by_depth = {c.percentage: c for c in line.candidates}
        assert sorted(by_depth) == [0, 5, 10, 15, 20, 25, 30, 35, 40]
        chosen, none = by_depth[line.percentage], by_depth[0.0]
        assert chosen.season_margin is not None
        assert none.season_margin is not None
        assert chosen.season_margin >= none.season_margin
        assert line.demand_elasticity_source == "history"
        assert line.demand_elasticity_lower is not None
    # The rule asks 25 % on dresses (gap 22.9 points x 1.2 = 27.5); 5 % earns the most margin.
    assert (lines["DRES"].rule_percentage, lines["DRES"].percentage) == (25.0, 5.0)
    assert (lines["OUTW"].rule_percentage, lines["OUTW"].percentage) == (0.0, 0.0)
    dres = {c.percentage: c for c in lines["DRES"].candidates}
    gain = (dres[5.0].season_margin or 0) - (dres[0.0].season_margin or 0)
    units = dres[5.0].units_sold - dres[0.0].units_sold
    said = f"5 % on DRES: +{units:,.0f} units sold, margin +${gain / 1000:,.0f}k against no "
    assert said + "markdown" in result.by_category
    assert said + "markdown" in proposal.rationale
    assert "no markdown on OUTW (rule: 0 %" in result.by_category


def test_on_target_as_a_whole_only_the_category_behind_is_marked_down(
    make_context: ContextFactory, stock: SeasonStock
) -> None:
    # Dresses 37 % against 60 % while the season is at 62 %: the rule's one depth is none, the
    # checkpoint still prices dresses; the categories on target get none, whatever their margin.
    sell_through = SellThroughComputedPayload(
        week_number=6,
        sell_through=0.62,
        by_category={"ACCS": 0.65, "DRES": 0.371, "KNIT": 0.743, "OUTW": 0.848},
        target=0.6,
        below_target=False,
    )
    ctx = make_context(
        sell_through=sell_through,
        elasticities={"ACCS": 1.0, "DRES": 1.2, "KNIT": 1.4, "OUTW": 1.6},
        stock=_facts(stock),
    )
    result = propose_markdown(ctx, "")
    assert result.percentage == 0.0  # the seed rule on the season's total: no gap
    proposal = result.proposal
    assert proposal is not None
    lines = {line.category_code: line.percentage for line in proposal.lines}
    assert lines == {"ACCS": 0.0, "DRES": 5.0, "KNIT": 0.0, "OUTW": 0.0}
    # Dresses on target too: nothing is marked down, though 5 % would earn dresses the most.
    caught_up = sell_through.model_copy(
        update={"by_category": {**sell_through.by_category, "DRES": 0.6}}
    )
    ctx = make_context(
        sell_through=caught_up,
        elasticities={"ACCS": 1.0, "DRES": 1.2, "KNIT": 1.4, "OUTW": 1.6},
        stock=_facts(stock),
    )
    assert propose_markdown(ctx, "").proposal is None
