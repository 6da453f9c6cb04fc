"""What a decision does to the season's ledger: the markdown's margin at each depth, and the
season's stock risks. The agents, the console and the report read these same figures.

A markdown of depth d from week w on lifts each later week's expected demand by
(1 - d) ** elasticity (the category's demand elasticity), sells on the ledger (never more than
the stores hold) at the marked-down price, and leaves the rest to clearance at salvage value.
Its worth is the season margin (money.py) against the same ledger with no markdown.

Each category's ledger is its own (a markdown on dresses sells no more outerwear), so the
depth best for the season's margin is found category by category: `best_by_category`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from planner_shared.stock.alerts import StockAlert, alerts
from planner_shared.stock.money import MoneyFigures, figures, total
from planner_shared.stock.season import SeasonStock


@dataclass(frozen=True)
class MarkdownOutcome:
    """The season's figures at one markdown depth (percent), by category and in total."""

    percentage: float
    by_category: dict[str, MoneyFigures]
    total: MoneyFigures

    @property
    def margin(self) -> float | None:
        return self.total.season_margin


def category_outcome(
    stock: SeasonStock, code: str, percentage: float, from_week: int
) -> MoneyFigures:
    """One category marked down by `percentage` from `from_week` to the season's end."""
    schedule = stock.markdown_schedule(percentage / 100.0, from_week)
    return figures(stock.ledger(code, markdown=schedule), stock.categories[code], schedule)


def markdown_outcome(stock: SeasonStock, percentage: float, from_week: int) -> MarkdownOutcome:
    """Every category marked down by `percentage` from `from_week` to the season's end."""
    return lines_outcome(stock, {}, from_week, default=percentage)


def lines_outcome(
    stock: SeasonStock, lines: Mapping[str, float], from_week: int, *, default: float = 0.0
) -> MarkdownOutcome:
    """Each category at its own depth (`default` for one without a line); `percentage` is
    the deepest of them."""
    depths = {code: float(lines.get(code, default)) for code in stock.categories}
    by_category = {code: category_outcome(stock, code, d, from_week) for code, d in depths.items()}
    deepest = max(depths.values(), default=default)
    return MarkdownOutcome(deepest, by_category, total(by_category.values()))


def markdown_outcomes(
    stock: SeasonStock, depths: Iterable[float], from_week: int
) -> list[MarkdownOutcome]:
    return [markdown_outcome(stock, d, from_week) for d in depths]


def candidate_depths(max_percentage: float, step: float = 5.0) -> list[float]:
    """0, step, 2 x step, ... up to the cap."""
    count = int(max_percentage // step)
    return [round(i * step, 6) for i in range(count + 1)]


def best_for_margin(outcomes: list[MarkdownOutcome], up_to: float) -> MarkdownOutcome | None:
    """Of the depths no deeper than `up_to`, the one with the highest season margin (the
    shallower on a tie); None when margins cannot be computed (no cost or salvage value)."""
    allowed = [o for o in outcomes if o.percentage <= up_to + 1e-9]
    if not allowed or any(o.margin is None for o in allowed):
        return None
    return max(allowed, key=lambda o: (o.margin or 0.0, -o.percentage))


def best_by_category(outcomes: list[MarkdownOutcome], up_to: float) -> dict[str, float | None]:
    """Per category, the depth no deeper than `up_to` with the highest season margin (the
    shallower on a tie; 0 is a candidate, so none is ever worse than no markdown); None for a
    category whose margin cannot be computed."""
    allowed = [o for o in outcomes if o.percentage <= up_to + 1e-9]
    codes = sorted({code for o in allowed for code in o.by_category})
    best: dict[str, float | None] = {}
    for code in codes:
        known = [(o.by_category[code].season_margin, o.percentage) for o in allowed]
        if not known or any(m is None for m, _ in known):
            best[code] = None
            continue
        best[code] = max(known, key=lambda pair: (pair[0] or 0.0, -pair[1]))[1]
    return best


def stock_risks(stock: SeasonStock) -> list[StockAlert]:
    """Every category's alerts on the point forward plan."""
    found: list[StockAlert] = []
    for code in sorted(stock.categories):
        found += alerts(stock.ledger(code), stock.transit)
    return found
