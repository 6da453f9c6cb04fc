"""Reads the v1 answers share: a workflow's forecast curve (the newest run covering each
week), its actuals by week and store (uploaded weekly actuals, else the stored history for a
season that lies inside it), and each store's share of demand."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway import repository
from planner_gateway.errors import ApiError
from planner_gateway.schemas.resources import ForecastRead
from planner_shared.db.models import Category, HistoricalSale, Store, WeeklyActual
from planner_shared.parameters import SeasonParameters

HISTORY_WEEKS = 52


@dataclass(frozen=True)
class WeekForecast:
    week_number: int
    week_start: date
    point: float
    lower_95: float
    upper_95: float


@dataclass(frozen=True)
class Plan:
    workflow_id: UUID
    parameters: SeasonParameters
    latest: list[ForecastRead]  # the newest run, one per category
    weeks: dict[int, WeekForecast]  # summed over categories
    category_ids: list[UUID]

    @property
    def season_total(self) -> float:
        return sum(f.total_season_demand for f in self.latest)


async def plan(
    session: AsyncSession, workflow_id: UUID, parameters: SeasonParameters, what: str
) -> Plan:
    runs = await repository.forecast_runs(session, workflow_id)
    if not runs:
        raise ApiError(404, f"{what} not found: no forecast has completed for it yet")
    numbers = [r.run_number for r in runs]
    reads = await repository.forecasts(session, workflow_id, numbers)
    latest_run = numbers[-1]
    latest = [f for f in reads if f.run_number == latest_run]
    # Per category and week, the newest run that forecast the week (a re-forecast covers
    # only the weeks after the actuals it used).
    chosen: dict[tuple[str, int], tuple[int, WeekForecast]] = {}
    for f in reads:
        for w in f.weekly_demand_curve:
            key = (f.category_code, w.week_number)
            if key not in chosen or chosen[key][0] < f.run_number:
                chosen[key] = (
                    f.run_number,
                    WeekForecast(
                        w.week_number, w.week_start_date, w.forecasted_units, w.lower_95, w.upper_95
                    ),
                )
    weeks: dict[int, WeekForecast] = {}
    for (_code, number), (_run, one) in chosen.items():
        if number in weeks:
            s = weeks[number]
            weeks[number] = WeekForecast(
                number,
                s.week_start,
                s.point + one.point,
                s.lower_95 + one.lower_95,
                s.upper_95 + one.upper_95,
            )
        else:
            weeks[number] = one
    codes = sorted({f.category_code for f in latest})
    ids = list(await session.scalars(select(Category.id).where(Category.code.in_(codes))))
    return Plan(workflow_id, parameters, latest, dict(sorted(weeks.items())), ids)


@dataclass(frozen=True)
class Actuals:
    by_week: dict[int, float]
    by_week_store: dict[int, dict[UUID, float]]
    source: dict[int, str]  # "uploaded" or "history"


async def actuals(session: AsyncSession, p: Plan) -> Actuals:
    """Units sold per season week (and store): uploaded actuals first; for weeks with none,
    the stored history of those weeks, when the season lies inside it."""
    by_week: defaultdict[int, float] = defaultdict(float)
    by_store: defaultdict[int, defaultdict[UUID, float]] = defaultdict(lambda: defaultdict(float))
    source: dict[int, str] = {}
    uploaded = await session.execute(
        select(WeeklyActual.week_number, WeeklyActual.store_id, func.sum(WeeklyActual.units_sold))
        .where(
            WeeklyActual.workflow_id == p.workflow_id, WeeklyActual.category_id.in_(p.category_ids)
        )
        .group_by(WeeklyActual.week_number, WeeklyActual.store_id)
    )
    for week, store, units in uploaded:
        by_week[week] += float(units)
        by_store[week][store] += float(units)
        source[week] = "uploaded"
    start = p.parameters.season_start_date
    end = start + timedelta(weeks=p.parameters.forecast_horizon_weeks)
    history = await session.execute(
        select(HistoricalSale.week_start, HistoricalSale.store_id, func.sum(HistoricalSale.units))
        .where(
            HistoricalSale.category_id.in_(p.category_ids),
            HistoricalSale.week_start >= start - timedelta(days=3),
            HistoricalSale.week_start < end - timedelta(days=3),
        )
        .group_by(HistoricalSale.week_start, HistoricalSale.store_id)
    )
    for week_start, store, units in history:
        # The history's weeks need not start on the season's weekday: nearest season week.
        week = round((week_start - start).days / 7) + 1
        if source.get(week) == "uploaded" or not 1 <= week <= p.parameters.forecast_horizon_weeks:
            continue
        by_week[week] += float(units)
        by_store[week][store] += float(units)
        source[week] = "history"
    return Actuals(dict(by_week), {w: dict(s) for w, s in by_store.items()}, source)


async def store_shares(session: AsyncSession, p: Plan) -> dict[UUID, float]:
    """Each store's share of the planned categories' demand over the year before the season."""
    start = p.parameters.season_start_date
    rows = await session.execute(
        select(HistoricalSale.store_id, func.sum(HistoricalSale.units))
        .where(
            HistoricalSale.category_id.in_(p.category_ids),
            HistoricalSale.week_start < start,
            HistoricalSale.week_start >= start - timedelta(weeks=HISTORY_WEEKS),
        )
        .group_by(HistoricalSale.store_id)
    )
    units = {store: float(total) for store, total in rows}
    total = sum(units.values())
    stores = list(await session.scalars(select(Store.id)))
    if total <= 0:
        return {s: 1.0 / len(stores) for s in stores} if stores else {}
    return {s: units.get(s, 0.0) / total for s in stores}


def signed_variance_pct(actual: float, forecast: float) -> float:
    """(actual - forecast) / forecast in percent, one decimal place kept to 0.01."""
    if forecast <= 0:
        return 0.0 if actual <= 0 else 100.0
    return round((actual - forecast) / forecast * 100.0, 2)
