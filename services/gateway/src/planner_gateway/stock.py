"""The stock ledger's reads: the season's stock view, its money, the markdown on the ledger.

Every figure comes from `planner_shared.stock` on the rows the owners wrote, so the screen,
the report, the agents and the upload check read the same ledger (docs/stock.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from uuid import UUID

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.errors import ApiError
from planner_gateway.repository import get_workflow
from planner_gateway.schemas.charts import StockGlance
from planner_gateway.schemas.stock import (
    CategoryStock,
    DcRow,
    MoneyPeriod,
    MoneyRead,
    PlanWeek,
    SeasonMoney,
    StockAlertRead,
    StockRow,
    StockView,
    UnitsBand,
)
from planner_shared.stock import alerts as stock_alerts
from planner_shared.stock import sample
from planner_shared.stock.ledger import CategoryLedger
from planner_shared.stock.money import MoneyFigures, figures, total
from planner_shared.stock.outlook import stock_risks
from planner_shared.stock.season import NoStockYetError, SeasonStock, load_season_stock

TOTAL = "TOTAL"


async def season_stock(session: AsyncSession, workflow_id: UUID) -> SeasonStock:
    await get_workflow(session, workflow_id)
    try:
        return await load_season_stock(session, workflow_id)
    except NoStockYetError as exc:
        raise ApiError(409, str(exc), code="no_stock_yet") from None


@dataclass(frozen=True)
class _Paths:
    point: CategoryLedger
    lower: CategoryLedger
    upper: CategoryLedger

    def band(self, values: Sequence[float]) -> UnitsBand:
        point, a, b = values
        return UnitsBand(
            point=round(point, 1), lower_80=round(min(a, b), 1), upper_80=round(max(a, b), 1)
        )


def _paths(stock: SeasonStock, code: str) -> _Paths:
    return _Paths(
        stock.ledger(code), stock.ledger(code, path="lower"), stock.ledger(code, path="upper")
    )


def _cover(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 1)


def _category(stock: SeasonStock, code: str, p: _Paths) -> CategoryStock:
    led = p.point
    k = led.weeks_in
    cover = led.closing.sum(axis=1)
    ahead = np.append(led.demand.sum(axis=1)[1:], led.demand.sum(axis=1)[-1])
    weeks = [
        PlanWeek(
            week_number=w + 1,
            actual=w < k,
            store_opening=round(float(led.opening[w].sum()), 1),
            receipts=round(float(led.receipts[w].sum()), 1),
            sales=round(float(led.sales[w].sum()), 1),
            lost_sales=round(float(led.lost[w].sum()), 1),
            store_closing=round(float(cover[w]), 1),
            weeks_of_cover=_cover(cover[w] / ahead[w]) if ahead[w] > 0 else None,
            shipped_from_dc=round(float(led.shipped[w].sum()), 1),
            dc_closing=round(float(led.dc_closing[w]), 1),
            dc_shortfall=round(float(led.dc_shortfall[w]), 1),
            sales_band=p.band([float(x.sales[w].sum()) for x in (led, p.lower, p.upper)]),
            lost_sales_band=p.band([float(x.lost[w].sum()) for x in (led, p.lower, p.upper)]),
            dc_closing_band=p.band([float(x.dc_closing[w]) for x in (led, p.lower, p.upper)]),
        )
        for w in range(led.horizon)
    ]
    sold = float(led.sales[:k].sum())
    available = float(
        led.initial.sum() + led.dc_start + led.adjustments.sum() + led.unrecorded.sum()
    )
    empty = np.flatnonzero(led.dc_closing < 0.5)
    return CategoryStock(
        category_code=code,
        category_name=stock.categories[code].name,
        units_available=available,
        units_sold=sold,
        sell_through_fraction=round(sold / available, 4) if available else None,
        season_sales=p.band([float(x.sales.sum()) for x in (led, p.lower, p.upper)]),
        season_lost_sales=p.band([float(x.lost.sum()) for x in (led, p.lower, p.upper)]),
        leftover=p.band([x.leftover for x in (led, p.lower, p.upper)]),
        dc_empty_week=int(empty[0]) + 1 if empty.size else None,
        weeks=weeks,
    )


def _rows(led: CategoryLedger, store: str | None, week: int | None) -> list[StockRow]:
    cover = led.weeks_of_cover()
    stores = range(len(led.stores)) if store is None else [list(led.stores).index(store)]
    weeks = range(led.horizon) if week is None else [week - 1]
    return [
        StockRow(
            store_code=led.stores[s],
            category_code=led.code,
            week_number=w + 1,
            actual=w < led.weeks_in,
            opening=round(float(led.opening[w, s]), 1),
            receipts=round(float(led.receipts[w, s]), 1),
            replenishment_in=round(float(led.replenishment_in[w, s]), 1),
            adjustments=round(float(led.adjustments[w, s] + led.unrecorded[w, s]), 1),
            sales=round(float(led.sales[w, s]), 1),
            lost_sales=round(float(led.lost[w, s]), 1),
            closing=round(float(led.closing[w, s]), 1),
            weeks_of_cover=_cover(cover[w, s]),
            shipped=round(float(led.shipped[w, s]), 1),
        )
        for w in weeks
        for s in stores
    ]


def _refuse_outside(
    stock: SeasonStock, store: str | None, category: str | None, week: int | None
) -> None:
    """A filter naming a category, store or week the season does not have is refused."""
    if category is not None and category not in stock.categories:
        raise ApiError(
            404,
            f"category {category} is not planned in this season "
            f"(its categories: {', '.join(sorted(stock.categories))})",
            code="not_found",
        )
    if store is not None and store not in stock.stores:
        raise ApiError(404, f"store {store} is not a store of this season", code="not_found")
    if week is not None and not 1 <= week <= stock.horizon:
        raise ApiError(
            422, f"week {week} is outside this {stock.horizon}-week season", code="invalid_week"
        )


def _dc_rows(code: str, led: CategoryLedger, week: int | None) -> list[DcRow]:
    """The DC's stock of a category week by week (or the one `week`)."""
    return [
        DcRow(
            category_code=code,
            week_number=w + 1,
            opening=round(float(led.dc_opening[w]), 1),
            shipped=round(float(led.shipped[w].sum()), 1),
            closing=round(float(led.dc_closing[w]), 1),
            shortfall=round(float(led.dc_shortfall[w]), 1),
        )
        for w in range(led.horizon)
        if week is None or w + 1 == week
    ]


async def stock_view(
    session: AsyncSession,
    workflow_id: UUID,
    *,
    store: str | None = None,
    category: str | None = None,
    week: int | None = None,
) -> StockView:
    stock = await season_stock(session, workflow_id)
    _refuse_outside(stock, store, category, week)
    codes = [category] if category else sorted(stock.categories)
    categories, rows, dc, found = [], [], [], []
    for code in codes:
        p = _paths(stock, code)
        categories.append(_category(stock, code, p))
        rows += _rows(p.point, store, week)
        dc += _dc_rows(code, p.point, week)
        found += stock_alerts.alerts(p.point, stock.transit)
    return StockView(
        workflow_id=workflow_id,
        horizon_weeks=stock.horizon,
        weeks_in=stock.weeks_in,
        replenishment_strategy=stock.strategy.value,
        categories=categories,
        rows=rows,
        dc=dc,
        alerts=[
            StockAlertRead(
                kind=a.kind,
                category_code=a.category_code,
                week_number=a.week_number,
                units=a.units,
                stores=list(a.stores),
                message=a.message,
                action=a.action,
            )
            for a in found
        ],
    )


def _money_read(code: str, f: MoneyFigures) -> MoneyRead:
    def r(value: float | None, places: int = 2) -> float | None:
        return None if value is None else round(value, places)

    sell_through = f.sell_through
    return MoneyRead(
        category_code=code,
        units_sold=round(f.units_sold, 1),
        lost_sales=round(f.lost_sales, 1),
        leftover_units=round(f.leftover_units, 1),
        sell_through_fraction=None if sell_through is None else round(sell_through, 4),
        revenue=round(f.revenue, 2),
        cost_of_goods_sold=r(f.cost_of_goods_sold),
        gross_margin=r(f.gross_margin),
        markdown_cost=round(f.markdown_cost, 2),
        leftover_value=r(f.leftover_value),
        season_margin=r(f.season_margin),
        gmroi=r(f.gmroi, 3),
    )


def _period(parts: dict[str, MoneyFigures]) -> MoneyPeriod:
    return MoneyPeriod(
        total=_money_read(TOTAL, total(parts.values())),
        by_category=[_money_read(code, f) for code, f in sorted(parts.items())],
    )


def money_figures(stock: SeasonStock) -> SeasonMoney:
    planned, actual, projected = {}, {}, {}
    for code, money in stock.categories.items():
        schedule = stock.markdown.get(code)
        planned[code] = figures(stock.ledger(code, path="planned", weeks_in=0), money)
        point = stock.ledger(code)
        actual[code] = figures(point, money, schedule, through_week=stock.weeks_in)
        projected[code] = figures(point, money, schedule)
    missing = [
        f"{code}: no unit cost or salvage value in the categories' reference data, so margin, "
        "leftover value and GMROI are not shown"
        for code, m in sorted(stock.categories.items())
        if m.unit_cost is None or m.salvage_value is None
    ]
    return SeasonMoney(
        weeks_in=stock.weeks_in,
        planned=_period(planned),
        actual=_period(actual),
        projected=_period(projected),
        missing=missing,
    )


async def season_money(session: AsyncSession, workflow_id: UUID) -> SeasonMoney | None:
    """The season's money, or None before its stock exists (no allocation yet)."""
    try:
        stock = await load_season_stock(session, workflow_id)
    except NoStockYetError:
        return None
    return money_figures(stock)


# The checkout this module runs from (services/gateway/src/planner_gateway/stock.py), where a
# relative sample path is looked for when the working directory is elsewhere.
_CHECKOUT = Path(__file__).resolve().parents[4]


def _read_demand(path: Path) -> dict[tuple[str, str, int], int] | None:
    for candidate in (path, _CHECKOUT / path) if not path.is_absolute() else (path,):
        if candidate.is_file():
            return sample.read_demand(candidate)
    return None


async def sample_week(session: AsyncSession, workflow_id: UUID, week: int, demand_file: str) -> str:
    """The sample's week `week` as this season's stores could sell it (stock.sample)."""
    stock = await season_stock(session, workflow_id)
    demand = await asyncio.to_thread(_read_demand, Path(demand_file))
    if demand is None:
        raise ApiError(
            404,
            f"the sample's demand file {demand_file} is not on this server",
            code="not_found",
        )
    if not 1 <= week <= stock.horizon:
        raise ApiError(
            422, f"week {week} is outside this {stock.horizon}-week season", code="invalid_week"
        )
    workflow = await get_workflow(session, workflow_id)
    start = (workflow.parameters or {}).get("season_start_date")
    rows = sample.season_week(stock, demand, week)
    return sample.week_csv(rows, week, date.fromisoformat(start) if start else None)


async def stock_glance(session: AsyncSession, workflow_id: UUID) -> StockGlance | None:
    """The overview's stock and money, or None before the allocation."""
    try:
        stock = await load_season_stock(session, workflow_id)
    except NoStockYetError:
        return None
    money = money_figures(stock)
    actual, projected = money.actual.total, money.projected.total
    return StockGlance(
        sell_through_fraction=actual.sell_through_fraction,
        revenue_to_date=actual.revenue,
        gross_margin_to_date=actual.gross_margin,
        projected_revenue=projected.revenue,
        projected_season_margin=projected.season_margin,
        projected_lost_sales=projected.lost_sales,
        projected_leftover_units=projected.leftover_units,
        alerts=[a.message for a in stock_risks(stock)],
    )
