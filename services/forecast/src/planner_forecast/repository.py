"""Reads and writes of the forecast service: history, stores, actuals, and its results."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.db.frontend_v1 import (
    UploadedDcInventory,
    UploadedLeadTime,
    UploadedSafetyStock,
    UploadedStoreProfile,
)
from planner_shared.db.models import (
    Allocation,
    Category,
    Forecast,
    ForecastWeek,
    HistoricalSale,
    ManufacturingOrder,
    Store,
    StoreCluster,
    StoreClusterMember,
    WeeklyActual,
    Workflow,
)


class MissingDataError(Exception):
    """The database lacks what the step needs; the message says what to load."""


async def categories(session: AsyncSession, codes: Sequence[str] | None) -> list[Category]:
    query = select(Category).order_by(Category.code)
    if codes:
        query = query.where(Category.code.in_(codes))
    found = list((await session.scalars(query)).all())
    if codes:
        missing = sorted(set(codes) - {c.code for c in found})
        if missing:
            raise MissingDataError(f"unknown category codes: {', '.join(missing)}")
    if not found:
        raise MissingDataError(
            "no categories loaded: run `make seed` or upload categories and historical sales"
        )
    return found


async def stores(session: AsyncSession) -> list[Store]:
    found = list((await session.scalars(select(Store).order_by(Store.code))).all())
    if not found:
        raise MissingDataError("no stores loaded: run `make seed` or upload stores")
    return found


async def category_history(
    session: AsyncSession, category_id: UUID, before: date | None = None
) -> pd.Series:
    """Weekly units of one category summed over all stores, indexed by week start.

    With `before` (the season start), only the weeks before it: a season that starts inside
    the stored history is planned from what was known then, as a backtest would be.
    """
    cut_off = [HistoricalSale.week_start < before] if before is not None else []
    rows = (
        await session.execute(
            select(HistoricalSale.week_start, func.sum(HistoricalSale.units))
            .where(HistoricalSale.category_id == category_id, *cut_off)
            .group_by(HistoricalSale.week_start)
            .order_by(HistoricalSale.week_start)
        )
    ).all()
    return pd.Series(
        [float(units) for _, units in rows],
        index=pd.DatetimeIndex([week for week, _ in rows]),
        dtype=float,
    )


async def store_demand(
    session: AsyncSession, last_weeks: int = 52, before: date | None = None
) -> pd.DataFrame:
    """Mean weekly units per (store, category) over the most recent `last_weeks` of history
    (of the history before `before`, when given)."""
    cut_off = [HistoricalSale.week_start < before] if before is not None else []
    latest = await session.scalar(select(func.max(HistoricalSale.week_start)).where(*cut_off))
    if latest is None:
        first = await session.scalar(select(func.min(HistoricalSale.week_start)))
        if first is not None and before is not None:
            raise MissingDataError(season_before_history(before, first))
        raise MissingDataError("no historical sales loaded: run `make seed` or upload them")
    since = pd.Timestamp(latest) - pd.Timedelta(weeks=last_weeks - 1)
    rows = (
        await session.execute(
            select(
                HistoricalSale.store_id,
                HistoricalSale.category_id,
                func.avg(HistoricalSale.units),
            )
            .where(HistoricalSale.week_start >= since.date(), *cut_off)
            .group_by(HistoricalSale.store_id, HistoricalSale.category_id)
        )
    ).all()
    return pd.DataFrame(
        [(s, c, float(avg)) for s, c, avg in rows],
        columns=["store_id", "category_id", "mean_weekly_units"],
    )


async def latest_stored_run(session: AsyncSession, workflow_id: UUID) -> int:
    """The newest completed run (0 before any). Not the next run's number: the orchestrator
    numbers the runs, and a run requested and not yet completed is not stored."""
    latest = await session.scalar(
        select(func.max(Forecast.run_number)).where(Forecast.workflow_id == workflow_id)
    )
    return int(latest or 0)


async def forecasts_of_run(
    session: AsyncSession, workflow_id: UUID, run_number: int | None = None
) -> list[Forecast]:
    if run_number is None:
        run_number = await latest_stored_run(session, workflow_id)
    return list(
        (
            await session.scalars(
                select(Forecast).where(
                    Forecast.workflow_id == workflow_id, Forecast.run_number == run_number
                )
            )
        ).all()
    )


async def forecast_weeks(session: AsyncSession, forecast_ids: Sequence[UUID]) -> pd.DataFrame:
    rows = (
        await session.execute(
            select(ForecastWeek.forecast_id, ForecastWeek.week_number, ForecastWeek.point).where(
                ForecastWeek.forecast_id.in_(forecast_ids)
            )
        )
    ).all()
    return pd.DataFrame(rows, columns=["forecast_id", "week_number", "point"])


async def replace_forecast(
    session: AsyncSession,
    *,
    workflow_id: UUID,
    run_number: int,
    category_id: UUID,
    reason: str,
    season_total: float,
    method: str,
    diagnostics: dict[str, Any],
    weeks: Sequence[dict[str, Any]],
) -> Forecast:
    await session.execute(
        delete(Forecast).where(
            Forecast.workflow_id == workflow_id,
            Forecast.run_number == run_number,
            Forecast.category_id == category_id,
        )
    )
    forecast = Forecast(
        workflow_id=workflow_id,
        run_number=run_number,
        category_id=category_id,
        reason=reason,
        season_total=season_total,
        method=method,
        diagnostics=diagnostics,
    )
    session.add(forecast)
    await session.flush()
    session.add_all(ForecastWeek(forecast_id=forecast.id, **week) for week in weeks)
    return forecast


async def replace_clusters(
    session: AsyncSession,
    workflow_id: UUID,
    clusters: Sequence[dict[str, Any]],
    members: dict[UUID, int],
) -> None:
    """Store one workflow's clusters: `clusters` rows by label, `members` store -> label."""
    await session.execute(delete(StoreCluster).where(StoreCluster.workflow_id == workflow_id))
    rows = {c["label"]: StoreCluster(workflow_id=workflow_id, **c) for c in clusters}
    session.add_all(rows.values())
    await session.flush()
    session.add_all(
        StoreClusterMember(workflow_id=workflow_id, store_id=store_id, cluster_id=rows[label].id)
        for store_id, label in members.items()
    )


async def replace_manufacturing_orders(
    session: AsyncSession, workflow_id: UUID, orders: Sequence[ManufacturingOrder]
) -> None:
    await session.execute(
        delete(ManufacturingOrder).where(ManufacturingOrder.workflow_id == workflow_id)
    )
    session.add_all(orders)


async def manufacturing_orders(
    session: AsyncSession, workflow_id: UUID
) -> list[ManufacturingOrder]:
    return list(
        (
            await session.scalars(
                select(ManufacturingOrder).where(ManufacturingOrder.workflow_id == workflow_id)
            )
        ).all()
    )


async def replace_allocations(
    session: AsyncSession,
    workflow_id: UUID,
    kind: str,
    week_number: int,
    rows: Sequence[tuple[UUID, UUID, int]],
) -> None:
    """Store (store, category, units) rows of one allocation; re-running replaces, never adds."""
    await session.execute(
        delete(Allocation).where(
            Allocation.workflow_id == workflow_id,
            Allocation.kind == kind,
            Allocation.week_number == week_number,
        )
    )
    session.add_all(
        Allocation(
            workflow_id=workflow_id,
            store_id=store_id,
            category_id=category_id,
            kind=kind,
            week_number=week_number,
            units=units,
        )
        for store_id, category_id, units in rows
    )


async def allocated_units(session: AsyncSession, workflow_id: UUID) -> pd.DataFrame:
    rows = (
        await session.execute(
            select(
                Allocation.category_id,
                Allocation.kind,
                Allocation.week_number,
                func.sum(Allocation.units),
            )
            .where(Allocation.workflow_id == workflow_id)
            .group_by(Allocation.category_id, Allocation.kind, Allocation.week_number)
        )
    ).all()
    return pd.DataFrame(rows, columns=["category_id", "kind", "week_number", "units"])


async def actuals(session: AsyncSession, workflow_id: UUID, through_week: int) -> pd.DataFrame:
    rows = (
        await session.execute(
            select(
                WeeklyActual.store_id,
                WeeklyActual.category_id,
                WeeklyActual.week_number,
                WeeklyActual.units_sold,
            ).where(
                WeeklyActual.workflow_id == workflow_id, WeeklyActual.week_number <= through_week
            )
        )
    ).all()
    return pd.DataFrame(rows, columns=["store_id", "category_id", "week_number", "units_sold"])


async def workflow(session: AsyncSession, workflow_id: UUID | None) -> Workflow:
    found = await session.get(Workflow, workflow_id) if workflow_id else None
    if found is None:
        raise MissingDataError(f"workflow {workflow_id} does not exist")
    return found


def week_start(season_start: date, week_number: int) -> date:
    return (pd.Timestamp(season_start) + pd.Timedelta(weeks=week_number - 1)).date()


async def uploaded_store_profiles(
    session: AsyncSession, workflow_id: UUID
) -> dict[UUID, UploadedStoreProfile]:
    """Store attributes uploaded for this workflow (contract v1 `store_profiles`), by store."""
    rows = await session.scalars(
        select(UploadedStoreProfile).where(UploadedStoreProfile.workflow_id == workflow_id)
    )
    return {row.store_id: row for row in rows}


async def uploaded_dc_stock(session: AsyncSession, workflow_id: UUID) -> dict[UUID, int]:
    """Units free at the DCs per category from this workflow's `dc_inventory` upload:
    available minus reserved, summed over SKUs and locations (never below 0 per row)."""
    rows = await session.scalars(
        select(UploadedDcInventory).where(UploadedDcInventory.workflow_id == workflow_id)
    )
    stock: dict[UUID, int] = {}
    for row in rows:
        free = max(0, row.available_units - row.reserved_units)
        stock[row.category_id] = stock.get(row.category_id, 0) + free
    return stock


async def uploaded_safety_stock(session: AsyncSession, workflow_id: UUID) -> dict[UUID, int]:
    """Safety stock units per store uploaded for this workflow (contract v1 `safety_stock`)."""
    rows = await session.execute(
        select(UploadedSafetyStock.store_id, UploadedSafetyStock.safety_stock_units).where(
            UploadedSafetyStock.workflow_id == workflow_id
        )
    )
    return {store_id: int(units) for store_id, units in rows}


async def uploaded_lead_times(session: AsyncSession, workflow_id: UUID) -> dict[UUID, int]:
    """Days from the DC to each store uploaded for this workflow (contract v1 `lead_times`):
    a store listed under several DC locations takes the longest (planned so that a delivery
    from any of them is in time)."""
    rows = await session.execute(
        select(UploadedLeadTime.store_id, func.max(UploadedLeadTime.lead_time_days))
        .where(UploadedLeadTime.workflow_id == workflow_id)
        .group_by(UploadedLeadTime.store_id)
    )
    return {store_id: int(days) for store_id, days in rows}


def season_before_history(season_start: date, first_week: date) -> str:
    return (
        f"the season starts {season_start.isoformat()}, but the sales history begins "
        f"{first_week.isoformat()}: a season is forecast from the weeks before it"
    )


async def first_history_week(session: AsyncSession, category_ids: Sequence[UUID]) -> date | None:
    """The first week of the categories' sales history; None without any."""
    first: date | None = await session.scalar(
        select(func.min(HistoricalSale.week_start)).where(
            HistoricalSale.category_id.in_(category_ids)
        )
    )
    return first


async def store_history(
    session: AsyncSession, category_ids: Sequence[UUID], before: date | None = None
) -> pd.DataFrame:
    """Weekly units per store and category: store_code, category_code, week_start, units;
    with `before` (the season start) only the weeks before it, as a backtest would see."""
    cut_off = [HistoricalSale.week_start < before] if before is not None else []
    rows = (
        await session.execute(
            select(Store.code, Category.code, HistoricalSale.week_start, HistoricalSale.units)
            .join(Store, Store.id == HistoricalSale.store_id)
            .join(Category, Category.id == HistoricalSale.category_id)
            .where(HistoricalSale.category_id.in_(category_ids), *cut_off)
        )
    ).all()
    return pd.DataFrame(
        [(s, c, w, float(u)) for s, c, w, u in rows],
        columns=["store_code", "category_code", "week_start", "units"],
    )


async def cluster_labels(session: AsyncSession, workflow_id: UUID) -> dict[str, int]:
    """Store code -> cluster label of the workflow's stored clusters (empty before any)."""
    rows = (
        await session.execute(
            select(Store.code, StoreCluster.label)
            .join(StoreClusterMember, StoreClusterMember.store_id == Store.id)
            .join(StoreCluster, StoreCluster.id == StoreClusterMember.cluster_id)
            .where(StoreClusterMember.workflow_id == workflow_id)
        )
    ).all()
    return {str(code): int(label) for code, label in rows}
