"""Plausibility bounds on uploaded quantities, relative to each store's own history.

A typo of a few digits (2,147,483,647 units in one row) is a valid whole number, so the CSV
checks let it through; stored, it would feed the variance check and a re-forecast of billions
of units. So a row is refused when its units exceed

    max(PLAUSIBLE_FLOOR, PLAUSIBLE_FACTOR x the highest week that store sold of that category)

in the historical sales (before this upload): ten times the store's best week, and never less
than 1,000 units, which also bounds a store or category with no history yet. The refusal (422
`implausible_quantity`) names each row, its value and the bound; a planner who knows the
figure is real (a flagship opening, a viral product) sends `allow_implausible=true` and the
rows are stored as given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.errors import ApiError, ErrorDetail
from planner_shared.db.models import Category, HistoricalSale, Store

PLAUSIBLE_FACTOR = 10
PLAUSIBLE_FLOOR = 1_000
LISTED = 20


@dataclass(frozen=True)
class Quantity:
    row: int
    store_code: str
    category_code: str
    units: int
    column: str


async def _best_weeks(
    session: AsyncSession, quantities: Sequence[Quantity]
) -> dict[tuple[str, str], int]:
    stores = {q.store_code for q in quantities}
    categories = {q.category_code for q in quantities}
    result = await session.execute(
        select(Store.code, Category.code, func.max(HistoricalSale.units))
        .join(Store, Store.id == HistoricalSale.store_id)
        .join(Category, Category.id == HistoricalSale.category_id)
        .where(Store.code.in_(stores), Category.code.in_(categories))
        .group_by(Store.code, Category.code)
    )
    return {(s, c): int(best or 0) for s, c, best in result}


def bound(best_week: int | None) -> int:
    return max(PLAUSIBLE_FLOOR, PLAUSIBLE_FACTOR * (best_week or 0))


async def refuse_implausible(session: AsyncSession, quantities: Sequence[Quantity]) -> None:
    """422 `implausible_quantity` when a row exceeds its store's bound (see the module)."""
    candidates = [q for q in quantities if q.units > PLAUSIBLE_FLOOR]
    if not candidates:
        return
    best = await _best_weeks(session, candidates)
    implausible = [
        (q, bound(best.get((q.store_code, q.category_code))))
        for q in candidates
        if q.units > bound(best.get((q.store_code, q.category_code)))
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
                f"best week of {q.store_code} {q.category_code} in the history, at least "
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
