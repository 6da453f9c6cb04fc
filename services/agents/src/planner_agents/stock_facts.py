"""The stock ledger as the agents see it: the season's stock-out risks, and the margin each
markdown depth is expected to earn (planner_shared.stock.outlook), read once per run."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.price_elasticity import ElasticityEstimate
from planner_shared.stock.outlook import (
    MarkdownOutcome,
    candidate_depths,
    markdown_outcomes,
    stock_risks,
)
from planner_shared.stock.season import NoStockYetError, load_season_stock


@dataclass(frozen=True)
class StockFacts:
    """`risks`: the ledger's alerts in a planner's words; `margins`: season margin (currency)
    by markdown depth (percent) from the week after the weeks in, None where the categories
    lack a cost or salvage value; `revenues` likewise; `outcomes` every candidate depth's
    figures by category (each category's own markdown is chosen from them); `elasticities`
    each category's demand elasticity with its interval and source."""

    risks: list[str] = field(default_factory=list)
    margins: dict[float, float | None] = field(default_factory=dict)
    revenues: dict[float, float] = field(default_factory=dict)
    weeks_in: int = 0
    outcomes: list[MarkdownOutcome] = field(default_factory=list)
    elasticities: dict[str, ElasticityEstimate] = field(default_factory=dict)


async def stock_facts(
    session: AsyncSession, workflow_id: UUID, max_markdown_percentage: float
) -> StockFacts | None:
    """None before the season has stock (no allocation yet)."""
    try:
        stock = await load_season_stock(session, workflow_id)
    except NoStockYetError:
        return None
    outcomes = markdown_outcomes(
        stock, candidate_depths(max_markdown_percentage), stock.weeks_in + 1
    )
    return StockFacts(
        risks=[f"{a.message} ({a.action})" for a in stock_risks(stock)],
        margins={o.percentage: o.margin for o in outcomes},
        revenues={o.percentage: o.total.revenue for o in outcomes},
        weeks_in=stock.weeks_in,
        outcomes=outcomes,
        elasticities=dict(stock.elasticities),
    )
