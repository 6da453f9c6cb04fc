"""What a ledger is worth (docs/stock.md, "Money").

Per category, over a range of weeks of a ledger:

- revenue = units sold x price x (1 - the week's markdown);
- cost of goods sold = units sold x unit cost; gross margin = revenue - cost of goods sold;
- markdown cost = units sold x price x the week's markdown (what the markdown gave away);
- leftover value = units left (stores and DC) x salvage value, what clearance recovers;
- season margin = gross margin + leftover value - leftover units x unit cost: the margin of
  the whole buy once the leftover is cleared, the figure a markdown or a buy is decided on;
- GMROI = gross margin / the average stock held at cost (week-end stock in stores and DC).

Figures that need a unit cost or a salvage value the category has not been given are None,
never a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from planner_shared.stock.ledger import Array, CategoryLedger
from planner_shared.stock.season import CategoryMoney


@dataclass(frozen=True)
class MoneyFigures:
    units_sold: float
    lost_sales: float
    leftover_units: float
    units_available: float
    revenue: float
    markdown_cost: float
    cost_of_goods_sold: float | None
    gross_margin: float | None
    leftover_value: float | None
    season_margin: float | None
    average_stock_at_cost: float | None
    gmroi: float | None

    @property
    def sell_through(self) -> float | None:
        return self.units_sold / self.units_available if self.units_available > 0 else None


def figures(
    ledger: CategoryLedger,
    money: CategoryMoney,
    markdown: Array | None = None,
    *,
    through_week: int | None = None,
) -> MoneyFigures:
    """The category's figures over weeks 1..`through_week` (the whole season by default); the
    leftover is the stock at the end of that week."""
    last = ledger.horizon if through_week is None else max(min(through_week, ledger.horizon), 0)
    schedule = np.zeros(ledger.horizon) if markdown is None else np.asarray(markdown)
    sold_by_week = ledger.sales[:last].sum(axis=1)
    sold = float(sold_by_week.sum())
    price = money.unit_price
    revenue = float((sold_by_week * price * (1.0 - schedule[:last])).sum())
    given = float((sold_by_week * price * schedule[:last]).sum())
    if last:
        left = float(ledger.closing[last - 1].sum() + ledger.dc_closing[last - 1])
        held = ledger.closing[:last].sum(axis=1) + ledger.dc_closing[:last]
    else:
        left = float(ledger.initial.sum() + ledger.dc_start)
        held = np.array([left])
    available = float(
        ledger.initial.sum()
        + ledger.dc_start
        + ledger.adjustments[:last].sum()
        + ledger.unrecorded[:last].sum()
    )
    cost, salvage = money.unit_cost, money.salvage_value
    cogs = None if cost is None else sold * cost
    margin = None if cogs is None else revenue - cogs
    leftover_value = None if salvage is None else left * salvage
    season_margin = (
        None
        if margin is None or leftover_value is None or cost is None
        else margin + leftover_value - left * cost
    )
    average = None if cost is None else float(held.mean()) * cost
    gmroi = None if margin is None or not average else margin / average
    return MoneyFigures(
        units_sold=sold,
        lost_sales=float(ledger.lost[:last].sum()),
        leftover_units=left,
        units_available=available,
        revenue=revenue,
        markdown_cost=given,
        cost_of_goods_sold=cogs,
        gross_margin=margin,
        leftover_value=leftover_value,
        season_margin=season_margin,
        average_stock_at_cost=average,
        gmroi=gmroi,
    )


def total(parts: Iterable[MoneyFigures]) -> MoneyFigures:
    """The sum of categories' figures (GMROI recomputed from the sums; None if any is None)."""
    items = list(parts)

    def add(name: str) -> float:
        return float(sum(getattr(p, name) for p in items))

    def add_known(name: str) -> float | None:
        values = [getattr(p, name) for p in items]
        return None if any(v is None for v in values) else float(sum(values))

    margin, average = add_known("gross_margin"), add_known("average_stock_at_cost")
    return MoneyFigures(
        units_sold=add("units_sold"),
        lost_sales=add("lost_sales"),
        leftover_units=add("leftover_units"),
        units_available=add("units_available"),
        revenue=add("revenue"),
        markdown_cost=add("markdown_cost"),
        cost_of_goods_sold=add_known("cost_of_goods_sold"),
        gross_margin=margin,
        leftover_value=add_known("leftover_value"),
        season_margin=add_known("season_margin"),
        average_stock_at_cost=average,
        gmroi=None if margin is None or not average else margin / average,
    )
