"""Plausibility bounds on uploaded quantities, one rule for every path that stores units.

A typo of a few digits (2,147,483,647 units in one row) is a valid whole number, so the CSV
checks let it through; stored, it would feed the variance check and a re-forecast of billions
of units. So a row is refused when its units exceed

    max(PLAUSIBLE_FLOOR, PLAUSIBLE_FACTOR x the store's median week of that category)

in the historical sales (before this upload): twenty times the store's typical week (a
seasonal peak of the sample history is 7.4 times its median), never less than 1,000 units,
which also bounds a store or category with no history yet. The median, not the best week: a
history upload of a few weeks at the bound cannot raise the bound of the next upload by the
same factor again (the best week would).

The refusal (422 `implausible_quantity`) names each row, its value and the bound; a planner
who knows the figure is real (a flagship opening, a viral product) sends
`allow_implausible=true` and the rows are stored as given, up to `HARD_CEILING` units in one
store's week of a category, which nothing passes (422 `quantity_over_ceiling`).

The historical-sales upload and the weekly actuals of `/api` and of v1 `sales_data` all call
`refuse_implausible`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.errors import ApiError, ErrorDetail
from planner_shared.db.models import Category, HistoricalSale, Store

PLAUSIBLE_FACTOR = 20
PLAUSIBLE_FLOOR = 1_000
HARD_CEILING = 1_000_000
LISTED = 20


@dataclass(frozen=True)
class Quantity:
    row: int
    store_code: str
    category_code: str
    units: int
    column: str


async def _median_weeks(
    session: AsyncSession, quantities: Sequence[Quantity]
) -> dict[tuple[str, str], float]:
    stores = {q.store_code for q in quantities}
    categories = {q.category_code for q in quantities}
    result = await session.execute(
        select(
            Store.code,
            Category.code,
            func.percentile_cont(0.5).within_group(HistoricalSale.units),
        )
        .join(Store, Store.id == HistoricalSale.store_id)
        .join(Category, Category.id == HistoricalSale.category_id)
        .where(Store.code.in_(stores), Category.code.in_(categories))
        .group_by(Store.code, Category.code)
    )
    return {(s, c): float(median or 0) for s, c, median in result}


def bound(median_week: float | None) -> int:
    return min(HARD_CEILING, max(PLAUSIBLE_FLOOR, round(PLAUSIBLE_FACTOR * (median_week or 0))))


def _refuse_over_ceiling(quantities: Sequence[Quantity]) -> None:
    over = [q for q in quantities if q.units > HARD_CEILING]
    if not over:
        return
    details = [
        ErrorDetail.model_validate(
            {
                "row": q.row,
                "column": q.column,
                "value": str(q.units),
                "message": f"{q.units:,} units is more than {HARD_CEILING:,}, the most one "
                "store sells of a category in a week that is ever stored",
            }
        )
        for q in over[:LISTED]
    ]
    first = over[0]
    raise ApiError(
        422,
        f"{len(over)} row(s) hold more than {HARD_CEILING:,} units, the ceiling no upload "
        f"passes (allow_implausible included); nothing was stored: row {first.row}, "
        f"{first.units:,} units of {first.category_code} at {first.store_code}",
        code="quantity_over_ceiling",
        details=details,
    )


async def refuse_implausible(
    session: AsyncSession, quantities: Sequence[Quantity], *, allow_implausible: bool = False
) -> None:
    """422 `quantity_over_ceiling` past the hard ceiling, always; 422 `implausible_quantity`
    when a row exceeds its store's bound, unless `allow_implausible` (see the module)."""
    _refuse_over_ceiling(quantities)
    if allow_implausible:
        return
    candidates = [q for q in quantities if q.units > PLAUSIBLE_FLOOR]
    if not candidates:
        return
    median = await _median_weeks(session, candidates)
    implausible = [
        (q, bound(median.get((q.store_code, q.category_code))))
        for q in candidates
        if q.units > bound(median.get((q.store_code, q.category_code)))
    ]
    if not implausible:
        return
    details = [
        ErrorDetail.model_validate(
            {
                "row": q.row,
                "column": q.column,
                "value": str(q.units),
                "message": f"{q.units:,} units is more than {limit:,} ({PLAUSIBLE_FACTOR}x the "
                f"median week of {q.store_code} {q.category_code} in the history, at least "
                f"{PLAUSIBLE_FLOOR:,})",
            }
        )
        for q, limit in implausible[:LISTED]
    ]
    first, limit = implausible[0]
    raise ApiError(
        422,
        f"{len(implausible)} row(s) hold implausible quantities; nothing was stored: row "
        f"{first.row}, {first.units:,} units of {first.category_code} at {first.store_code} "
        f"(at most {limit:,}). If the figures are right, send allow_implausible=true",
        code="implausible_quantity",
        details=details,
    )
