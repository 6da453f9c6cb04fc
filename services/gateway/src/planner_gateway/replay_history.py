"""A past season's weeks as the history holds them: what the replay feeds and reports.

A season whose start lies inside the sales history is planned from the weeks before its
start (the forecast service reads only those); its own weeks are in the history too. A
replay feeds them as the weekly actuals, capped by the stock the plan put in each store
(`planner_shared.stock.sample`: a store sells what it held), so the replay's sales are what
the plan would have sold and the history's units are what happened (docs/replay.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.datasets.csv_formats import WeeklyActualRow
from planner_shared.db.models import Category, HistoricalSale, Store, Workflow
from planner_shared.stock import sample
from planner_shared.stock.season import SeasonStock

Demand = dict[tuple[str, str, int], int]
"""Units per (store code, category code, season week): the history's sales of the season."""


@dataclass(frozen=True)
class SeasonSpan:
    start: date
    horizon: int
    categories: list[str] | None

    def week_of(self, week_start: date) -> int | None:
        """The season week a history week falls on, or None outside the season."""
        days = (week_start - self.start).days
        week = days // 7 + 1
        return week if days % 7 == 0 and 1 <= week <= self.horizon else None

    @property
    def end(self) -> date:
        return self.start + timedelta(weeks=self.horizon)


def span_of(workflow: Workflow) -> SeasonSpan | None:
    params = workflow.parameters or {}
    start, horizon = params.get("season_start_date"), params.get("forecast_horizon_weeks")
    if not start or not horizon:
        return None
    return SeasonSpan(date.fromisoformat(str(start)), int(horizon), workflow.category_codes)


def season_demand(span: SeasonSpan, rows: Iterable[tuple[str, str, date, int]]) -> Demand:
    """The history's rows (store, category, week start, units) that fall on the season's
    weeks, keyed by season week."""
    demand: Demand = {}
    for store, category, week_start, units in rows:
        week = span.week_of(week_start)
        if week is not None and (span.categories is None or category in span.categories):
            demand[(store, category, week)] = units
    return demand


def weeks_missing(demand: Mapping[tuple[str, str, int], int], horizon: int) -> list[int]:
    """The season's weeks the history holds no sales for."""
    held = {week for _, _, week in demand}
    return [w for w in range(1, horizon + 1) if w not in held]


async def history_demand(session: AsyncSession, span: SeasonSpan) -> Demand:
    query = (
        select(Store.code, Category.code, HistoricalSale.week_start, HistoricalSale.units)
        .join(Store, Store.id == HistoricalSale.store_id)
        .join(Category, Category.id == HistoricalSale.category_id)
        .where(HistoricalSale.week_start >= span.start, HistoricalSale.week_start < span.end)
    )
    rows = (await session.execute(query)).all()
    return season_demand(span, ((s, c, w, u) for s, c, w, u in rows))


def replay_rows(stock: SeasonStock, demand: Demand, week: int) -> list[WeeklyActualRow]:
    """Week `week` as the plan's stores could have sold the history's demand: the upload."""
    return [
        WeeklyActualRow(row=i, store_code=store, category_code=code, week_number=week, units_sold=u)
        for i, (store, code, u) in enumerate(sample.season_week(stock, demand, week), start=2)
    ]


def units_by_category(demand: Demand, weeks: int) -> dict[str, int]:
    """The history's units per category over the season's first `weeks` weeks."""
    totals: dict[str, int] = {}
    for (_, code, week), units in demand.items():
        if week <= weeks:
            totals[code] = totals.get(code, 0) + units
    return totals


async def workflow_demand(session: AsyncSession, workflow_id: UUID) -> tuple[SeasonSpan, Demand]:
    workflow = await session.get(Workflow, workflow_id)
    span = span_of(workflow) if workflow is not None else None
    if span is None:
        raise LookupError(f"workflow {workflow_id} has no season start and length yet")
    return span, await history_demand(session, span)
