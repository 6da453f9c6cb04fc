"""Each category's demand price elasticity as the ledger uses it: estimated from the stored
history's prices (planner_shared.price_elasticity), read by every ledger reader.

The estimate is the same until the history or the catalogue changes, and it takes a fit of
the whole history, so it is kept per process and keyed by a fingerprint of both (a count and
sums, one cheap query) rather than fitted on every read of the ledger.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.db.models import Category, HistoricalSale, Store
from planner_shared.price_elasticity import ElasticityEstimate, SaleAtPrice, estimate_elasticities

Fingerprint = tuple[object, ...]
_known: dict[Fingerprint, dict[str, ElasticityEstimate]] = {}


async def _fingerprint(session: AsyncSession, catalogue: dict[str, float | None]) -> Fingerprint:
    row = (
        await session.execute(
            select(
                func.count(),
                func.sum(HistoricalSale.units),
                func.sum(HistoricalSale.unit_price),
                func.max(HistoricalSale.week_start),
            )
        )
    ).one()
    return (*(str(v) for v in row), tuple(sorted(catalogue.items())))


async def load_price_elasticities(session: AsyncSession) -> dict[str, ElasticityEstimate]:
    """Every category's estimate (or prior), by code."""
    catalogue: dict[str, float | None] = {
        code: None if value is None else float(value)
        for code, value in (
            await session.execute(select(Category.code, Category.demand_elasticity))
        ).all()
    }
    key = await _fingerprint(session, catalogue)
    if key in _known:
        return _known[key]
    rows = (
        await session.execute(
            select(
                Category.code,
                Store.code,
                HistoricalSale.week_start,
                HistoricalSale.units,
                HistoricalSale.unit_price,
            )
            .join(Category, Category.id == HistoricalSale.category_id)
            .join(Store, Store.id == HistoricalSale.store_id)
            .where(HistoricalSale.unit_price.is_not(None))
        )
    ).all()
    sales = [SaleAtPrice(c, s, w, float(u), float(p)) for c, s, w, u, p in rows if p is not None]
    found = estimate_elasticities(sales, catalogue)
    _known.clear()  # one history at a time: the newest
    _known[key] = found
    return found
