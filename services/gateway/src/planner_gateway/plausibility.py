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
from planner_gateway.upload_rows import HARD_CEILING, PLAUSIBLE_FACTOR, PLAUSIBLE_FLOOR, Quantity
from planner_shared.datasets.csv_formats import ErrorCollector
from planner_shared.db.models import Category, HistoricalSale, Store

LISTED = 20


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


@dataclass(frozen=True)
class Finding:
    """A row refused by the bound: `limit` is its store's bound, or None past the ceiling."""

    quantity: Quantity
    limit: int | None

    @property
    def message(self) -> str:
        q = self.quantity
        if self.limit is None:
            return (
                f"{q.units:,} units is more than {HARD_CEILING:,}, the most one store sells "
                "of a category in a week that is ever stored"
            )
        return (
            f"{q.units:,} units is more than {self.limit:,} ({PLAUSIBLE_FACTOR}x the median "
            f"week of {q.store_code} {q.category_code} in the history, at least "
            f"{PLAUSIBLE_FLOOR:,})"
        )


async def find_implausible(
    session: AsyncSession, quantities: Sequence[Quantity], *, allow_implausible: bool = False
) -> list[Finding]:
    """The rows past the hard ceiling (always) or, unless `allow_implausible`, past their
    store's bound (see the module)."""
    over = [Finding(q, None) for q in quantities if q.units > HARD_CEILING]
    if over or allow_implausible:
        return over
    candidates = [q for q in quantities if q.units > PLAUSIBLE_FLOOR]
    if not candidates:
        return []
    median = await _median_weeks(session, candidates)
    limits = [(q, bound(median.get((q.store_code, q.category_code)))) for q in candidates]
    return [Finding(q, limit) for q, limit in limits if q.units > limit]


def add_findings(errors: ErrorCollector, findings: Sequence[Finding]) -> None:
    """The findings as row problems, beside the file's others in one answer."""
    for finding in findings:
        q = finding.quantity
        errors.add(q.row, q.column, finding.message, str(q.units))


def refusal(findings: Sequence[Finding]) -> ApiError:
    """422 `quantity_over_ceiling` when a row passes the ceiling, else `implausible_quantity`."""
    details = [
        ErrorDetail.model_validate(
            {
                "row": f.quantity.row,
                "column": f.quantity.column,
                "value": str(f.quantity.units),
                "message": f.message,
            }
        )
        for f in findings[:LISTED]
    ]
    first = findings[0].quantity
    where = f"row {first.row}, {first.units:,} units of {first.category_code} at {first.store_code}"
    if findings[0].limit is None:
        return ApiError(
            422,
            f"{len(findings)} row(s) hold more than {HARD_CEILING:,} units, the ceiling no "
            f"upload passes (allow_implausible included); nothing was stored: {where}",
            code="quantity_over_ceiling",
            details=details,
        )
    return ApiError(
        422,
        f"{len(findings)} row(s) hold implausible quantities; nothing was stored: {where} "
        f"(at most {findings[0].limit:,}). If the figures are right, send "
        "allow_implausible=true",
        code="implausible_quantity",
        details=details,
    )


async def refuse_implausible(
    session: AsyncSession, quantities: Sequence[Quantity], *, allow_implausible: bool = False
) -> None:
    """422 `quantity_over_ceiling` past the hard ceiling, always; 422 `implausible_quantity`
    when a row exceeds its store's bound, unless `allow_implausible` (see the module)."""
    findings = await find_implausible(session, quantities, allow_implausible=allow_implausible)
    if findings:
        raise refusal(findings)
