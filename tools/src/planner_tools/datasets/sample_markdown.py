"""The markdown checkpoint on the sample, without a database: docs/markdown.md's worked example.

    python -m planner_tools.datasets.sample_markdown [--weeks-in 6] [--holdback 45]

prints each category's demand elasticity estimated from the sample history's prices beside the
generator's truth, then each category's candidate depths projected on the stock ledger over the
weeks left, the one with the highest season margin marked, and the seed rule's beside it.

The season is the README's (weekly replenishment, 45 % held back at the DC, checkpoint after
week 6, target 60 %): each category bought what the generator expected it to sell (its
drift-free season, what a perfect forecast would have ordered), the stores' share split by
their share of the season's demand; weeks 1 to `weeks_in` sold what the played weeks in
`weekly_actuals_by_week/` say, and the weeks after are expected to sell the generator's
expectation, split the same way.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from pathlib import Path
from uuid import uuid4

import numpy as np

from planner_shared.markdown import DEFAULT_MAX_MARKDOWN_PERCENTAGE, compute_markdown
from planner_shared.parameters import ReplenishmentStrategy
from planner_shared.price_elasticity import ElasticityEstimate, SaleAtPrice, estimate_elasticities
from planner_shared.stock.ledger import CategoryStockInputs
from planner_shared.stock.outlook import (
    MarkdownOutcome,
    best_by_category,
    candidate_depths,
    markdown_outcomes,
)
from planner_shared.stock.season import CategoryMoney, DemandPaths, SeasonStock
from planner_tools.datasets.generator import CATEGORIES, SEASON_WEEKS, generate

SAMPLE = Path(__file__).resolve().parents[4] / "data" / "sample"
TARGET = 0.60


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def history_sales(folder: Path = SAMPLE) -> list[SaleAtPrice]:
    """The sample history's store-weeks with their selling prices."""
    return [
        SaleAtPrice(
            r["category_code"],
            r["store_code"],
            r["week_start"],
            float(r["units"]),
            float(r["unit_price"]),
        )
        for r in _rows(folder / "historical_sales.csv")
    ]


def sample_estimates(folder: Path = SAMPLE) -> dict[str, ElasticityEstimate]:
    """Each category's demand elasticity from the history's prices; no catalogue prior."""
    return estimate_elasticities(history_sales(folder), {c.code: None for c in CATEGORIES})


def _weeks(folder: Path, stores: list[str], code: str) -> np.ndarray:
    """[season weeks, stores] units: the sample's demand, or a played week where there is one."""
    index = {s: i for i, s in enumerate(stores)}
    units = np.zeros((SEASON_WEEKS, len(stores)))
    for r in _rows(folder / "season_demand.csv"):
        if r["category_code"] == code:
            units[int(r["week_number"]) - 1, index[r["store_code"]]] = float(r["units_sold"])
    return units


def _played(folder: Path, stores: list[str], code: str, weeks_in: int) -> np.ndarray:
    index = {s: i for i, s in enumerate(stores)}
    sold = np.zeros((weeks_in, len(stores)))
    for week in range(1, weeks_in + 1):
        for r in _rows(folder / "weekly_actuals_by_week" / f"week_{week:02d}.csv"):
            if r["category_code"] == code:
                sold[week - 1, index[r["store_code"]]] = float(r["units_sold"])
    return sold


def sample_season(
    folder: Path = SAMPLE, *, weeks_in: int = 6, holdback: float = 0.45
) -> SeasonStock:
    """The README's season after `weeks_in` weeks, priced at the history's elasticities."""
    stores = sorted(r["store_code"] for r in _rows(folder / "stores.csv"))
    catalogue = {r["category_code"]: r for r in _rows(folder / "categories.csv")}
    expected = generate().expected_season
    estimates = sample_estimates(folder)
    transit = np.ones(len(stores), dtype=np.int64)
    inputs, paths, money = {}, {}, {}
    for spec in CATEGORIES:
        code, row = spec.code, catalogue[spec.code]
        season = _weeks(folder, stores, code)
        share = season.sum(axis=0) / season.sum()
        bought = float(sum(expected[code]))
        initial = np.floor(bought * (1 - holdback) * share)
        demand = np.array(expected[code])[:, None] * share[None, :]
        inputs[code] = CategoryStockInputs(
            code=code,
            stores=stores,
            horizon=SEASON_WEEKS,
            strategy=ReplenishmentStrategy.WEEKLY,
            initial=initial,
            dc_opening=bought - float(initial.sum()),
            transit=transit,
            actual_sales=_played(folder, stores, code, weeks_in),
            demand=demand,
        )
        paths[code] = DemandPaths(demand, demand * 0.8, demand * 1.2)
        money[code] = CategoryMoney(
            code,
            row["name"],
            float(row["unit_price"]),
            float(row["unit_cost"]),
            float(row["salvage_value"]),
            estimates[code].elasticity,
            int(bought),
            0,
        )
    return SeasonStock(
        workflow_id=uuid4(),
        horizon=SEASON_WEEKS,
        weeks_in=weeks_in,
        strategy=ReplenishmentStrategy.WEEKLY,
        checkpoint_week=weeks_in,
        stores=stores,
        transit=transit,
        categories=money,
        inputs=inputs,
        paths=paths,
        planned={c: p.point for c, p in paths.items()},
        elasticities=estimates,
    )


def checkpoint(
    stock: SeasonStock, cap: float = DEFAULT_MAX_MARKDOWN_PERCENTAGE
) -> list[MarkdownOutcome]:
    """Every candidate depth from the week after the weeks in."""
    return markdown_outcomes(stock, candidate_depths(cap), stock.weeks_in + 1)


def _sell_through(stock: SeasonStock, code: str) -> float:
    ledger = stock.ledger(code)
    sold = float(ledger.sales[: stock.weeks_in].sum())
    return sold / (float(ledger.initial.sum()) + ledger.dc_start)


def report(stock: SeasonStock, cap: float = DEFAULT_MAX_MARKDOWN_PERCENTAGE) -> list[str]:
    outcomes = checkpoint(stock, cap)
    best = best_by_category(outcomes, cap)
    truth = {c.code: c.demand_elasticity for c in CATEGORIES}
    rule = {r.code: r.price_elasticity for r in CATEGORIES}
    lines = ["category  estimate  95 % CI           truth  off by  source"]
    for code, e in sorted(stock.elasticities.items()):
        off = abs((e.elasticity or 0.0) - truth[code]) / abs(truth[code])
        lines.append(
            f"{code:<9} {e.elasticity:>8.2f}  {e.lower:>6.2f} to {e.upper:>6.2f}  "
            f"{truth[code]:>6.2f}  {off:>5.1%}  {e.source}"
        )
    for code in sorted(stock.categories):
        st = _sell_through(stock, code)
        ruled = compute_markdown(TARGET, st, rule[code], max_percentage=cap)
        lines += [
            "",
            f"{code}: sell-through {st:.1%} after week {stock.weeks_in} (target {TARGET:.0%}); "
            f"rule {ruled.explain()}",
            "  depth  sell-through  leftover    revenue      margin",
        ]
        for o in outcomes:
            f = o.by_category[code]
            mark = "  <- best for margin" if o.percentage == best[code] else ""
            mark += "  <- rule" if o.percentage == ruled.percentage else ""
            lines.append(
                f"  {o.percentage:>4g}%  {f.sell_through or 0:>11.1%}"
                f"  {round(f.leftover_units) + 0:>8,}"
                f"  {f.revenue:>10,.0f}  {f.season_margin or 0:>10,.0f}{mark}"
            )
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The sample's markdown checkpoint.")
    parser.add_argument("--weeks-in", type=int, default=6)
    parser.add_argument("--holdback", type=float, default=45.0, help="percent held at the DC")
    args = parser.parse_args(argv)
    stock = sample_season(weeks_in=args.weeks_in, holdback=args.holdback / 100)
    print("\n".join(report(stock)))


if __name__ == "__main__":
    main()
