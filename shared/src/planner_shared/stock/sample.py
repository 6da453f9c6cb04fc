"""A sample season's week as a store could really sell it (docs/stock.md, "The sample").

The sample's `season_demand.csv` says what every store would sell with stock enough. A week
a season uploads is that demand capped by what the season put in each store: the ledger is
run on the weeks already in, then on the sample's demand (lifted by a decided markdown, at
the category's demand elasticity) up to the week asked, and the week's sales are what the
ledger sells. A store that runs out sells what it held: the cold snap of week 4 shows as lost
sales, and sell-through never passes 100 %.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from planner_shared.datasets.csv_formats import parse_weekly_actuals
from planner_shared.stock.season import SeasonStock

Demand = Mapping[tuple[str, str, int], int]
"""Units per (store code, category code, season week)."""

HEADER = ("store_code", "category_code", "week_number", "week_start", "units_sold")


def read_demand(path: Path) -> dict[tuple[str, str, int], int]:
    parsed = parse_weekly_actuals(path.read_bytes(), max_bytes=None)
    return {(r.store_code, r.category_code, r.week_number): r.units_sold for r in parsed.rows}


def season_week(stock: SeasonStock, demand: Demand, week: int) -> list[tuple[str, str, int]]:
    """(store, category, units sold) of season week `week`, capped by the season's stock."""
    if not 1 <= week <= stock.horizon:
        raise ValueError(f"week {week} is outside this {stock.horizon}-week season")
    rows: list[tuple[str, str, int]] = []
    for code in sorted(stock.categories):
        wanted = np.zeros((stock.horizon, len(stock.stores)))
        for i, store in enumerate(stock.stores):
            for w in range(1, stock.horizon + 1):
                wanted[w - 1, i] = demand.get((store, code, w), 0)
        lifted = np.floor(stock.demand_with_markdown(code, wanted))
        ledger = stock.ledger(code, demand=lifted, weeks_in=min(stock.weeks_in, week - 1))
        rows += [
            (store, code, round(float(units)))
            for store, units in zip(stock.stores, ledger.sales[week - 1], strict=True)
        ]
    return rows


def week_csv(rows: list[tuple[str, str, int]], week: int, start: date | None) -> str:
    """The week as an upload file (the weekly actuals' columns)."""
    monday = "" if start is None else (start + timedelta(weeks=week - 1)).isoformat()
    lines = [",".join(HEADER)]
    lines += [f"{store},{code},{week},{monday},{units}" for store, code, units in rows]
    return "\n".join(lines) + "\n"
