"""A season's rows as the services store them, for tests that start a season part-way: a
forecast run (the forecast service's) and the record of a week's upload (the gateway's), whose
rows the test adds (the gateway's reads, the buy and the re-forecast tests)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.db.models import ActualsUpload, Forecast, ForecastWeek

# One week's forecast: point, 80 % interval, 95 % interval, seasonal-naive baseline.
Band = tuple[float, float, float, float, float, float]


def band(point: float) -> Band:
    """A week forecast at `point`: 80 % within +-20 %, 95 % -30 %/+30 %, the baseline on it."""
    return (point, point * 0.8, point * 1.2, point * 0.7, point * 1.3, point)


async def add_forecast(
    session: AsyncSession,
    workflow_id: UUID,
    category_id: UUID,
    weeks: Mapping[int, Band],
    *,
    season_start: date,
    season_total: float | None = None,
    run_number: int = 1,
    reason: str = "initial",
    diagnostics: dict[str, Any] | None = None,
) -> Forecast:
    """One category's forecast of a run and its weeks (week number -> band), week 1 starting
    on `season_start`; the season total is the weeks' points unless given."""
    forecast = Forecast(
        id=uuid4(),
        workflow_id=workflow_id,
        run_number=run_number,
        category_id=category_id,
        reason=reason,
        season_total=sum(b[0] for b in weeks.values()) if season_total is None else season_total,
        method="ensemble",
        diagnostics=diagnostics if diagnostics is not None else {},
    )
    session.add(forecast)
    await session.flush()
    session.add_all(
        ForecastWeek(
            forecast_id=forecast.id,
            week_number=week,
            week_start=season_start + timedelta(weeks=week - 1),
            point=point,
            lower_80=lower_80,
            upper_80=upper_80,
            lower_95=lower_95,
            upper_95=upper_95,
            baseline=baseline,
        )
        for week, (point, lower_80, upper_80, lower_95, upper_95, baseline) in weeks.items()
    )
    return forecast


async def add_upload(
    session: AsyncSession,
    workflow_id: UUID,
    week: int,
    *,
    row_count: int,
    uploaded_by: str = "ann",
    filename: str | None = None,
) -> ActualsUpload:
    """The record of week `week`'s upload, flushed so that its rows can name it."""
    upload = ActualsUpload(
        id=uuid4(),
        workflow_id=workflow_id,
        week_number=week,
        filename=filename or f"week{week}.csv",
        sha256="0" * 64,
        row_count=row_count,
        uploaded_by=uploaded_by,
    )
    session.add(upload)
    await session.flush()
    return upload
