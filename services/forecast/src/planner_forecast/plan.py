"""Allocation of the approved order across stores, and the in-season weekly steps:
variance check, re-forecast trigger, replenishment from the DC, sell-through."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import pandas as pd
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_forecast import repository as repo
from planner_forecast.allocation import (
    AllocationError,
    allocate_season,
    largest_remainder,
    transit_weeks,
)
from planner_forecast.final import final_store_rows
from planner_forecast.settings import ForecastSettings
from planner_forecast.variance import VarianceResult, sell_through, variance_check
from planner_shared.db.models import (
    Category,
    Forecast,
    ManufacturingOrder,
    StoreClusterMember,
    VarianceCheck,
)
from planner_shared.events import (
    AllocationCompletedPayload,
    SellThroughComputedPayload,
)
from planner_shared.parameters import SeasonParameters
from planner_shared.stock.ledger import covers
from planner_shared.stock.outlook import stock_risks
from planner_shared.stock.season import NoStockYetError, load_season_stock


async def allocate(
    session: AsyncSession,
    workflow_id: UUID,
    params: SeasonParameters,
    approved_quantity: int,
    settings: ForecastSettings,
    lines: Mapping[str, int] | None = None,
) -> AllocationCompletedPayload:
    orders = await repo.manufacturing_orders(session, workflow_id)
    if not orders:
        raise repo.MissingDataError("no manufacturing plan for this workflow: forecast it first")
    stores = await repo.stores(session)
    categories = {c.id: c for c in await repo.categories(session, None)}
    code_of_store = {s.id: s.code for s in stores}
    id_of_store = {s.code: s.id for s in stores}
    planned = {categories[o.category_id].code: o.recommended_quantity for o in orders}
    per_category = category_units(approved_quantity, planned, lines)
    demand = await _store_targets(session, orders, categories, code_of_store)
    await _final_targets(session, workflow_id, orders, categories, demand)
    members = (
        await session.execute(
            select(StoreClusterMember.store_id, StoreClusterMember.cluster_id).where(
                StoreClusterMember.workflow_id == workflow_id
            )
        )
    ).all()
    cluster_ids = sorted({cluster for _, cluster in members}, key=str)
    clusters = {code_of_store[s]: cluster_ids.index(c) for s, c in members}
    result = allocate_season(
        per_category, params.dc_holdback_percentage, demand, settings.min_display_units, clusters
    )
    category_id = {c.code: c.id for c in categories.values()}
    rows = [
        (id_of_store[store], category_id[code], units)
        for code, allocation in result.items()
        for store, units in allocation.by_store.items()
    ]
    await repo.replace_allocations(session, workflow_id, "initial", 0, rows)
    for order in orders:
        order.approved_quantity = per_category[categories[order.category_id].code]
    dc_units = sum(a.dc_holdback_units for a in result.values())
    store_units = sum(a.store_units for a in result.values())
    return AllocationCompletedPayload(
        total_units=approved_quantity,
        dc_holdback_units=dc_units,
        store_units=store_units,
        store_count=len({store for store, _, _ in rows}),
        by_category={code: a.approved_quantity for code, a in result.items()},
    )


def category_units(
    approved_quantity: int, planned: Mapping[str, int], lines: Mapping[str, int] | None
) -> dict[str, int]:
    """Each category's units: the decided lines as they are, or (a decision on one number)
    the approved total split in the proportions the plan recommended."""
    if lines is None:
        return largest_remainder(
            approved_quantity, {code: float(max(q, 1)) for code, q in planned.items()}
        )
    unknown = sorted(set(lines) - set(planned))
    missing = sorted(set(planned) - set(lines))
    if unknown or missing:
        raise AllocationError(
            f"the decided lines do not match the plan's categories (unknown: "
            f"{', '.join(unknown) or 'none'}; missing: {', '.join(missing) or 'none'})"
        )
    if sum(lines.values()) != approved_quantity:
        raise AllocationError(
            f"the decided lines add up to {sum(lines.values()):,}, not the approved "
            f"{approved_quantity:,}"
        )
    return {code: int(lines[code]) for code in planned}


async def _store_targets(
    session: AsyncSession,
    orders: list[ManufacturingOrder],
    categories: dict[UUID, Any],
    code_of_store: dict[UUID, str],
) -> dict[str, dict[str, float]]:
    """Each store's share key per category: its reconciled season forecast plus its own
    safety stock, as the manufacturing plan sized them (the uploaded safety stock where the
    workflow has one). Plans made before store-level forecasts (no per-store reasoning) fall
    back to recent historical demand."""
    demand: dict[str, dict[str, float]] = {}
    historical: set[str] = set()
    for order in orders:
        code = categories[order.category_id].code
        stores = (order.reasoning or {}).get("stores") or {}
        if not stores:
            historical.add(code)
            continue
        demand[code] = {store: _target_units(row) for store, row in stores.items()}
    if historical:
        rows = await repo.store_demand(session)
        for store_id, category, units in zip(
            rows.store_id, rows.category_id, rows.mean_weekly_units, strict=True
        ):
            if categories[category].code in historical:
                demand.setdefault(categories[category].code, {})[code_of_store[store_id]] = float(
                    units
                )
    return demand


async def _final_targets(
    session: AsyncSession,
    workflow_id: UUID,
    orders: list[ManufacturingOrder],
    categories: dict[UUID, Any],
    demand: dict[str, dict[str, float]],
) -> None:
    """The stores' share keys on the final forecast at allocation time: an override made
    while the order awaited its decision moves the stores' shares of it (each store keeps
    the safety stock the plan sized for it)."""
    forecasts = {
        categories[f.category_id].code: f
        for f in await repo.forecasts_of_run(session, workflow_id, run_number=1)
    }
    rows, _ = await final_store_rows(session, workflow_id, forecasts)
    for order in orders:
        code = categories[order.category_id].code
        planned = (order.reasoning or {}).get("stores") or {}
        final = rows.get(code) or {}
        if not planned or not all(
            isinstance(row, dict) and row.get("safety_stock_units") is not None and s in final
            for s, row in planned.items()
        ):
            continue  # plans before the units: their targets stand
        demand[code] = {
            store: max(float(final[store]["season_total"]), 0.0)
            + max(float(row["safety_stock_units"]), 0.0)
            for store, row in planned.items()
        }


def _target_units(row: dict[str, Any]) -> float:
    """A store's forecast plus safety stock from its row of the manufacturing reasoning."""
    forecast = max(float(row["forecast"]), 0.0)
    if row.get("safety_stock_units") is not None:
        return forecast + max(float(row["safety_stock_units"]), 0.0)
    return forecast * (1 + float(row["safety_stock_pct"]) / 100)  # plans before the units


def store_transit(order: ManufacturingOrder) -> dict[str, int]:
    """Each store's transit weeks from the lead times the manufacturing plan recorded."""
    stores = (order.reasoning or {}).get("stores") or {}
    return {
        store: int(row.get("transit_weeks") or transit_weeks(row.get("lead_time_days")))
        for store, row in stores.items()
        if isinstance(row, dict)
    }


@dataclass(frozen=True)
class Replenished:
    """One category's replenishment of a week: units shipped from the DC, and what it keeps."""

    shipped: int
    left_at_dc: int


@dataclass(frozen=True)
class WeekOutcome:
    variance: VarianceResult
    compared_weeks: tuple[int, int]
    run_number: int
    replenishment: dict[str, Replenished]
    sell_through: SellThroughComputedPayload | None
    check: VarianceCheck
    # The forward plan's stock alerts after this week, in a planner's words.
    alerts: list[str] = field(default_factory=list)


async def _plan_covering(session: AsyncSession, workflow_id: UUID, week: int) -> list[Forecast]:
    """The newest forecast run whose forecast weeks include `week` (a re-forecast made after
    week k forecasts weeks k+1 onwards)."""
    run = await repo.latest_stored_run(session, workflow_id)
    while run >= 1:
        forecasts = await repo.forecasts_of_run(session, workflow_id, run)
        elapsed = max(int(f.diagnostics.get("weeks_elapsed") or 0) for f in forecasts)
        if elapsed < week:
            return forecasts
        run -= 1
    raise repo.MissingDataError("no forecast covers this week: the workflow was not forecast")


async def _planned_and_sold(
    session: AsyncSession,
    workflow_id: UUID,
    forecasts: list[Forecast],
    categories: dict[UUID, Category],
    weeks: tuple[int, int],
) -> tuple[dict[str, list[float]], dict[str, list[float]], pd.DataFrame]:
    """Each category's planned and sold units, week by week over `weeks` (first, last), and
    the season's sales rows to the last week."""
    first, week = weeks
    points = await repo.forecast_weeks(session, [f.id for f in forecasts])
    code_of_forecast = {f.id: categories[f.category_id].code for f in forecasts}
    window = points[(points.week_number >= first) & (points.week_number <= week)]
    planned: dict[str, list[float]] = {code: [] for code in code_of_forecast.values()}
    for forecast_id, point in zip(
        window.sort_values("week_number").forecast_id,
        window.sort_values("week_number").point,
        strict=True,
    ):
        planned[code_of_forecast[forecast_id]].append(float(point))
    sold = await repo.actuals(session, workflow_id, week)
    actual: dict[str, list[float]] = {}
    for code in planned:
        cid = next(i for i, c in categories.items() if c.code == code)
        mine = sold[(sold.category_id == cid) & (sold.week_number >= first)]
        by_week = mine.groupby("week_number")["units_sold"].sum()
        actual[code] = [float(by_week.get(w, 0.0)) for w in range(first, week + 1)]
    return planned, actual, sold


async def _record_check(
    session: AsyncSession, workflow_id: UUID, weeks: tuple[int, int], result: VarianceResult
) -> VarianceCheck:
    """Store the week's check. A week uploaded again is checked again in place: the row keeps
    the re-forecast it requested before, which numbering and "a re-forecast is under way"
    both rely on."""
    first, week = weeks
    check = await session.scalar(
        select(VarianceCheck).where(
            VarianceCheck.workflow_id == workflow_id, VarianceCheck.week_number == week
        )
    )
    if check is None:
        check = VarianceCheck(workflow_id=workflow_id, week_number=week)
        session.add(check)
    check.forecast_units = result.forecast_units
    check.actual_units = result.actual_units
    check.variance = result.variance
    check.threshold = result.threshold
    check.exceeded = result.exceeded
    check.by_category = {c.category_code: c.model_dump(mode="json") for c in result.categories} | {
        "_compared_weeks": [first, week]
    }
    return check


async def week_in(
    session: AsyncSession,
    workflow_id: UUID,
    params: SeasonParameters,
    week: int,
    settings: ForecastSettings,
) -> WeekOutcome:
    forecasts = await _plan_covering(session, workflow_id, week)
    categories = {c.id: c for c in await repo.categories(session, None)}
    first = max(int(f.diagnostics.get("weeks_elapsed") or 0) for f in forecasts) + 1
    planned, actual, sold = await _planned_and_sold(
        session, workflow_id, forecasts, categories, (first, week)
    )
    result = variance_check(
        planned, actual, week - first + 1, settings.variance_threshold, settings.variance_trigger
    )
    check = await _record_check(session, workflow_id, (first, week), result)
    replenishment = await _replenish(session, workflow_id, params, week)
    checkpoint = None
    if week == params.markdown_checkpoint_week:
        checkpoint = await _sell_through(session, workflow_id, params, week, sold, categories)
    return WeekOutcome(
        variance=result,
        compared_weeks=(first, week),
        run_number=forecasts[0].run_number,
        replenishment=replenishment,
        sell_through=checkpoint,
        check=check,
        alerts=await stock_alerts(session, workflow_id),
    )


async def stock_alerts(session: AsyncSession, workflow_id: UUID) -> list[str]:
    """The ledger's alerts on the forward plan in force, each with what to do."""
    try:
        stock = await load_season_stock(session, workflow_id)
    except NoStockYetError:
        return []
    return [f"Stock alert: {a.message}; {a.action}" for a in stock_risks(stock)]


async def _replenish(
    session: AsyncSession,
    workflow_id: UUID,
    params: SeasonParameters,
    week: int,
) -> dict[str, Replenished]:
    """Record the DC's delivery at the end of `week` as the stock ledger posts it (one rule
    for the record, the forward plan and every reader: planner_shared.stock.ledger)."""
    if not covers(params.replenishment_strategy, week, params.forecast_horizon_weeks):
        return {}
    try:
        stock = await load_season_stock(session, workflow_id)
    except NoStockYetError:
        return {}  # nothing was allocated, so the DC has nothing to ship
    categories = {c.code: c.id for c in await repo.categories(session, None)}
    store_id = {s.code: s.id for s in await repo.stores(session)}
    shipped: dict[str, Replenished] = {}
    rows = []
    for code in sorted(stock.categories):
        ledger = stock.ledger(code, weeks_in=week)
        units = ledger.shipped[week - 1]
        shipped[code] = Replenished(
            shipped=round(float(units.sum())), left_at_dc=round(float(ledger.dc_closing[week - 1]))
        )
        rows += [
            (store_id[store], categories[code], round(float(u)))
            for store, u in zip(ledger.stores, units, strict=True)
            if u >= 1
        ]
    await repo.replace_allocations(session, workflow_id, "replenishment", week, rows)
    return shipped


async def _sell_through(
    session: AsyncSession,
    workflow_id: UUID,
    params: SeasonParameters,
    week: int,
    sold: Any,
    categories: dict[UUID, Any],
) -> SellThroughComputedPayload:
    orders: list[ManufacturingOrder] = await repo.manufacturing_orders(session, workflow_id)
    allocated = await repo.allocated_units(session, workflow_id)
    initial = allocated[allocated.kind == "initial"].groupby("category_id")["units"].sum()
    stores_units = {
        categories[o.category_id].code: int(initial.get(o.category_id, 0)) for o in orders
    }
    # The DC holds what the order kept back and the stock it had before the order: the
    # season's units are both, so sell-through never passes 100 %.
    dc_units = {
        categories[o.category_id].code: max(
            int(o.approved_quantity or 0)
            + int(o.stock_on_hand or 0)
            - int(initial.get(o.category_id, 0)),
            0,
        )
        for o in orders
    }
    units_sold = sold.groupby("category_id")["units_sold"].sum()
    sold_by_code = {
        categories[o.category_id].code: float(units_sold.get(o.category_id, 0.0)) for o in orders
    }
    result = sell_through(week, sold_by_code, stores_units, dc_units, params.markdown_threshold)
    return SellThroughComputedPayload(
        week_number=week,
        sell_through=result.sell_through,
        by_category=result.by_category,
        target=result.target,
        below_target=result.below_target,
    )
