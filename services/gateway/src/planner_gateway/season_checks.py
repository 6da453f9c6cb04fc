"""What a season start is checked against besides its parameters' own ranges: the data.

A season is forecast from the sales history before its first week. One that starts on or
before the history's first week has nothing to be forecast from; refused here, with that
reason, instead of failing later in the forecast service. (Without any history at all the
season is accepted: the forecast service then asks for an upload, as it always has.)
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.errors import ApiError, ErrorDetail
from planner_shared.db.models import Category, HistoricalSale
from planner_shared.parameters import SeasonParameters


async def refuse_season_before_history(
    session: AsyncSession, parameters: SeasonParameters, codes: list[str] | None
) -> None:
    query = select(func.min(HistoricalSale.week_start))
    if codes:
        query = query.join(Category, Category.id == HistoricalSale.category_id).where(
            Category.code.in_(codes)
        )
    first_week = await session.scalar(query)
    start = parameters.season_start_date
    if first_week is None or start > first_week:
        return
    whose = f"of {', '.join(codes)} " if codes else ""
    message = (
        f"the season starts {start.isoformat()}, but the sales history {whose}begins "
        f"{first_week.isoformat()}: a season is forecast from the weeks before it, so start it "
        f"after {first_week.isoformat()} or upload earlier history"
    )
    raise ApiError(
        422,
        message,
        code="season_before_history",
        details=[ErrorDetail(field="parameters.season_start_date", message=message)],
    )
