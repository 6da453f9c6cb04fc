"""The buy proposal: time to size every category's order as a newsvendor.

    .venv/bin/python bench/buy_proposal.py [--repeats R]

What the forecast service computes once the first forecast is in, per category: the
safety-stock rule store by store (it sizes the stores' share keys and lead times the
allocation reads), the season demand fitted to the category's 80 % and 95 % intervals, the
critical-ratio quantile less stock on hand, the rule's baseline margin; then the proposal's
lines with their bounds. Pure computation (no database): the sample's size (50 stores x 4
categories = 200 series, target under 50 ms at the median) and 5,000 store series.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np
from _timing import median_p95, print_machine, timed_ms, verdict

from planner_forecast.buy_plan import newsvendor_plan
from planner_forecast.manufacturing import StoreDemand, manufacturing_from_stores
from planner_shared.buy import line_bounds, split_total
from planner_shared.db.models import Category
from planner_shared.events import CategoryForecastSummary

# The sample's prices, costs and salvage values (data/sample/categories.csv).
MONEY = [(189.0, 76.0, 38.0), (69.0, 26.0, 14.0), (79.0, 30.0, 16.0), (29.0, 9.0, 5.0)]


def season(stores: int, categories: int, seed: int = 11) -> list[tuple[Any, ...]]:
    rng = np.random.default_rng(seed)
    inputs = []
    for i in range(categories):
        level = rng.gamma(4.0, 40.0, stores)
        spread = level * rng.uniform(0.1, 0.3, stores)
        demand = [
            StoreDemand(
                store_code=f"S{s:05d}",
                season_total=float(level[s]),
                lower_95=float(level[s] - 1.96 * spread[s]),
                upper_95=float(level[s] + 1.96 * spread[s]),
            )
            for s in range(stores)
        ]
        total, sigma = float(level.sum()), float(np.sqrt((spread**2).sum()))
        summary = CategoryForecastSummary(
            category_code=f"C{i:02d}",
            season_total=total,
            lower_80=total - 1.2816 * sigma,
            upper_80=total + 1.2816 * sigma,
            lower_95=total - 1.96 * sigma,
            upper_95=total + 1.96 * sigma,
            method="ensemble",
        )
        price, cost, salvage = MONEY[i % len(MONEY)]
        category = Category(
            code=summary.category_code,
            name=summary.category_code,
            unit_price=price,
            unit_cost=cost,
            salvage_value=salvage,
        )
        inputs.append((summary, demand, category, int(total * 0.05)))
    return inputs


def propose(inputs: list[tuple[Any, ...]]) -> int:
    lines = []
    for summary, demand, category, on_hand in inputs:
        plan = manufacturing_from_stores(summary.category_code, demand, on_hand)
        _, line = newsvendor_plan(plan, summary, category)
        lines.append(line)
    quantities = {line.category_code: line.quantity for line in lines}
    total = sum(quantities.values())
    line_bounds(split_total(total, {k: float(v) for k, v in quantities.items()}), 0, 2 * total)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    print_machine()
    print(f"{'case':<40}{'series':>8}{'median ms':>11}{'p95 ms':>9}")
    failed = False
    for label, stores, cats, target in (
        ("buy proposal (sample)", 50, 4, 50.0),
        ("buy proposal", 1250, 4, None),
    ):
        inputs = season(stores, cats)
        middle, p95 = median_p95(timed_ms(lambda i=inputs: propose(i), args.repeats))
        mark, over = verdict(middle, target)
        failed |= over
        print(f"{label:<40}{stores * cats:>8}{middle:>11.1f}{p95:>9.1f}{mark}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
