"""A season's ledger inputs, read from the tables of their owners (docs/stock.md).

The forecast service owns allocation and replenishment, so it owns the ledger; the ledger's
balances are never stored (they are derived from the postings every time), so every reader
(the forecast service's replenishment, the gateway's stock and report reads, the upload
check, the agents) builds the same ledger from the same rows with `load_season_stock`:

- receipts: `allocations` (the initial allocation, kind 'initial') and `stock_adjustments`;
  replenishment is not read back but derived by the ledger's rule, so a week whose delivery
  the forecast service has not recorded yet is still right;
- sales: `weekly_actuals`;
- expected demand: each week's forecast in force (the newest run fitted before the week was
  in), split across stores by each store's share of the run's reconciled season forecast;
  the 80 % band uses the same split of the week's interval; then adjusted by the planner's
  active overrides (`forecast_overrides`, planner_shared.overrides): the final forecast;
- money: `categories` (price, unit cost, salvage value) and the decided markdown
  (`approvals`: each category's own depth, from its decided lines, else the one decided
  depth), which applies from the week after its checkpoint;
- the demand's price elasticity: estimated from the history's prices (`elasticities.py`),
  the catalogue's `demand_elasticity` only for a category whose prices never moved.
- transfers: the approved moves (`transfers`), leaving their donor at once and arriving after
  the receiver's transit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from uuid import UUID

import numpy as np
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.db.models import (
    Allocation,
    Approval,
    Category,
    Forecast,
    ForecastWeek,
    ManufacturingOrder,
    StockAdjustment,
    Store,
    TransferPlan,
    WeeklyActual,
    Workflow,
)
from planner_shared.overrides import Override, adjust, load_active, store_shares
from planner_shared.parameters import ReplenishmentStrategy
from planner_shared.price_elasticity import ElasticityEstimate
from planner_shared.stock.elasticities import load_price_elasticities
from planner_shared.stock.ledger import Array, CategoryLedger, CategoryStockInputs, build_category
from planner_shared.stock.transfers import DC, Move, apply_moves

DEFAULT_TRANSIT_WEEKS = 1


@dataclass(frozen=True)
class CategoryMoney:
    code: str
    name: str
    unit_price: float
    unit_cost: float | None
    salvage_value: float | None
    demand_elasticity: float | None
    manufactured: int
    stock_on_hand: int

    def demand_multiplier(self, markdown_fraction: float) -> float:
        """Demand at `markdown_fraction` off the price over demand at full price: constant
        elasticity, (1 - d) ** elasticity; 1 when the elasticity is unknown."""
        if self.demand_elasticity is None or markdown_fraction <= 0:
            return 1.0
        return float((1.0 - markdown_fraction) ** self.demand_elasticity)


@dataclass(frozen=True)
class DemandPaths:
    """Expected store demand of every season week, [horizon, stores]: point and 80 % band."""

    point: Array
    lower: Array
    upper: Array


@dataclass(frozen=True)
class SeasonStock:
    workflow_id: UUID
    horizon: int
    weeks_in: int
    strategy: ReplenishmentStrategy
    checkpoint_week: int | None
    stores: list[str]
    transit: np.ndarray
    categories: dict[str, CategoryMoney]
    inputs: dict[str, CategoryStockInputs]
    paths: dict[str, DemandPaths]
    planned: dict[str, Array]  # the first run's demand: the plan the order was decided on
    markdown: dict[str, Array] = field(default_factory=dict)  # [horizon] fraction off price
    adjusted_units: int = 0
    allocated: bool = True  # False: a pre-season fork, the whole proposal still at the DC
    # Where each category's demand elasticity came from, with its interval.
    elasticities: dict[str, ElasticityEstimate] = field(default_factory=dict)

    def demand_with_markdown(
        self, code: str, demand: Array, markdown: Array | None = None
    ) -> Array:
        """`demand` lifted by the markdown of each week that is not yet in."""
        schedule = self.markdown.get(code) if markdown is None else markdown
        if schedule is None:
            return demand
        money = self.categories[code]
        factor = np.array([money.demand_multiplier(float(d)) for d in schedule])
        lifted: Array = demand * factor[:, None]
        lifted[: self.weeks_in] = demand[: self.weeks_in]
        return lifted

    def ledger(
        self,
        code: str,
        *,
        path: str = "point",
        markdown: Array | None = None,
        demand: Array | None = None,
        weeks_in: int | None = None,
    ) -> CategoryLedger:
        """The category's ledger on one demand path ('point', 'lower', 'upper', 'planned'),
        under the decided markdown or the one given, or on an explicit `demand`."""
        base = self.inputs[code]
        if demand is None:
            paths = self.paths[code]
            demand = (
                self.planned[code]
                if path == "planned"
                else {"point": paths.point, "lower": paths.lower, "upper": paths.upper}[path]
            )
            demand = self.demand_with_markdown(code, demand, markdown)
        inputs = replace(base, demand=demand)
        if weeks_in is not None:
            inputs = replace(inputs, actual_sales=base.actual_sales[:weeks_in])
        return build_category(inputs)

    def markdown_schedule(self, fraction: float, from_week: int) -> Array:
        """A schedule of `fraction` off the price from `from_week` (1-based) to the end."""
        schedule = np.zeros(self.horizon)
        schedule[max(from_week - 1, 0) :] = fraction
        return schedule


class NoStockYetError(LookupError):
    """The season has no allocation yet: its ledger starts when the order is decided."""


@dataclass(frozen=True)
class _Layout:
    """The ledger's axes: the stores in code order and the season's ordered categories."""

    stores: list[str]
    store_index: dict[UUID, int]
    by_id: dict[UUID, Category]
    order_of: dict[UUID, ManufacturingOrder]

    @property
    def codes(self) -> list[str]:
        return sorted(self.by_id[cid].code for cid in self.order_of)

    def cell(self, store_id: UUID, category_id: UUID) -> tuple[str, int] | None:
        """Where a row of a store and category posts (category code, store column); None
        for a store or a category the season's ledger does not hold."""
        if category_id not in self.order_of or store_id not in self.store_index:
            return None
        return self.by_id[category_id].code, self.store_index[store_id]


async def _layout(session: AsyncSession, orders: list[ManufacturingOrder]) -> _Layout:
    store_rows = (await session.execute(select(Store.id, Store.code).order_by(Store.code))).all()
    return _Layout(
        stores=[code for _, code in store_rows],
        store_index={sid: i for i, (sid, _) in enumerate(store_rows)},
        by_id={c.id: c for c in (await session.scalars(select(Category))).all()},
        order_of={o.category_id: o for o in orders},
    )


def _transit(orders: list[ManufacturingOrder], stores: list[str]) -> np.ndarray:
    """Each store's weeks from the DC, from the order's reasoning (lead times uploaded)."""
    transit = np.full(len(stores), DEFAULT_TRANSIT_WEEKS, dtype=np.int64)
    for order in orders:
        for store, row in ((order.reasoning or {}).get("stores") or {}).items():
            if isinstance(row, dict) and row.get("transit_weeks") and store in stores:
                transit[stores.index(store)] = max(int(row["transit_weeks"]), 1)
    return transit


async def _sales(
    session: AsyncSession, workflow_id: UUID, layout: _Layout, horizon: int
) -> tuple[int, dict[str, Array]]:
    """The weeks in (the uploaded weeks from week 1 without a gap) and each category's sales
    of them, [weeks_in, stores]."""
    rows = (
        await session.execute(
            select(
                WeeklyActual.store_id,
                WeeklyActual.category_id,
                WeeklyActual.week_number,
                WeeklyActual.units_sold,
            ).where(WeeklyActual.workflow_id == workflow_id)
        )
    ).all()
    weeks_present = {int(w) for _, _, w, _ in rows}
    weeks_in = 0
    while weeks_in + 1 in weeks_present and weeks_in < horizon:
        weeks_in += 1
    actual = {code: np.zeros((weeks_in, len(layout.stores))) for code in layout.codes}
    for sid, cid, week, units in rows:
        if (cell := layout.cell(sid, cid)) is not None and week <= weeks_in:
            actual[cell[0]][week - 1, cell[1]] += units
    return weeks_in, actual


async def _adjustments(
    session: AsyncSession,
    workflow_id: UUID,
    layout: _Layout,
    horizon: int,
    replacing_week: int | None,
) -> tuple[dict[str, Array], int]:
    """Each category's stock adjustments by week and store, and the units adjusted in all;
    the counts of `replacing_week` left out (its new upload counts it anew)."""
    adjustments = {code: np.zeros((horizon, len(layout.stores))) for code in layout.codes}
    adjusted = 0
    query = select(
        StockAdjustment.store_id,
        StockAdjustment.category_id,
        StockAdjustment.week_number,
        StockAdjustment.units,
    ).where(StockAdjustment.workflow_id == workflow_id)
    if replacing_week is not None:
        query = query.where(
            ~(
                (StockAdjustment.week_number == replacing_week)
                & (StockAdjustment.source == "on_hand")
            )
        )
    for sid, cid, week, units in (await session.execute(query)).all():
        if (cell := layout.cell(sid, cid)) is not None and 1 <= week <= horizon:
            adjustments[cell[0]][week - 1, cell[1]] += units
            adjusted += abs(units)
    return adjustments, adjusted


def _money(
    category: Category,
    estimates: Mapping[str, ElasticityEstimate],
    manufactured: int,
    on_hand: int,
) -> CategoryMoney:
    """A category's prices and costs, its demand elasticity (estimated, else the catalogue's)
    and the units bought and on hand."""
    return CategoryMoney(
        code=category.code,
        name=category.name,
        unit_price=float(category.unit_price),
        unit_cost=_maybe(category.unit_cost),
        salvage_value=_maybe(category.salvage_value),
        demand_elasticity=_elasticity(estimates, category.code, category),
        manufactured=manufactured,
        stock_on_hand=on_hand,
    )


async def _bought_and_placed(
    session: AsyncSession, workflow_id: UUID, horizon: int, before_allocation: bool
) -> tuple[list[ManufacturingOrder], Sequence[Row[UUID, UUID, int]], bool]:
    """The season's orders and its initial allocation's rows, and whether the ledger is the
    proposal's (a season not allocated yet, loaded `before_allocation`); refused while the
    season has no stock to follow."""
    orders = list(
        (
            await session.scalars(
                select(ManufacturingOrder).where(ManufacturingOrder.workflow_id == workflow_id)
            )
        ).all()
    )
    initial_rows = (
        await session.execute(
            select(Allocation.store_id, Allocation.category_id, Allocation.units).where(
                Allocation.workflow_id == workflow_id, Allocation.kind == "initial"
            )
        )
    ).all()
    proposal = before_allocation and not initial_rows
    if not horizon or not orders or not (initial_rows or proposal):
        raise NoStockYetError(
            "the season has no allocation yet: its stock ledger starts once the "
            "manufacturing order is decided and allocated"
        )
    return orders, initial_rows, proposal


@dataclass(frozen=True)
class _Season:
    """What every category's ledger of the season shares."""

    horizon: int
    strategy: ReplenishmentStrategy
    transit: np.ndarray
    moves: list[Move]
    estimates: Mapping[str, ElasticityEstimate]
    proposal: bool  # the proposed order, all at the DC (not allocated yet)


def _categories(
    layout: _Layout,
    season: _Season,
    initial: Mapping[str, Array],
    actual: Mapping[str, Array],
    adjustments: Mapping[str, Array],
    paths: Mapping[str, DemandPaths],
) -> tuple[dict[str, CategoryStockInputs], dict[str, CategoryMoney]]:
    """Each category's ledger inputs (the approved transfers between the season's stores and
    the DC applied) and its money."""
    stores = layout.stores
    inputs: dict[str, CategoryStockInputs] = {}
    money: dict[str, CategoryMoney] = {}
    for cid, order in layout.order_of.items():
        category = layout.by_id[cid]
        code = category.code
        bought = order.recommended_quantity if season.proposal else order.approved_quantity
        manufactured, on_hand = int(bought or 0), int(order.stock_on_hand or 0)
        dc_opening = float(manufactured + on_hand - initial[code].sum())
        inputs[code] = apply_moves(
            CategoryStockInputs(
                code=code,
                stores=stores,
                horizon=season.horizon,
                strategy=season.strategy,
                initial=initial[code],
                dc_opening=max(dc_opening, 0.0),
                transit=season.transit,
                actual_sales=actual[code],
                demand=paths[code].point,
                adjustments=adjustments[code],
            ),
            [
                m
                for m in season.moves
                if m.category == code
                and m.target in stores
                and (m.source in stores or m.source == DC)
            ],
        )
        money[code] = _money(category, season.estimates, manufactured, on_hand)
    return {c: inputs[c] for c in layout.codes}, {c: money[c] for c in layout.codes}


async def load_season_stock(
    session: AsyncSession,
    workflow_id: UUID,
    *,
    replacing_week: int | None = None,
    before_allocation: bool = False,
) -> SeasonStock:
    """The season's ledger inputs. `replacing_week`: a week being uploaded again, whose
    adjustments from the stores' counts are left out (the new upload counts it anew).
    `before_allocation`: a season forecast but not yet allocated is loaded too, with the
    proposed order (`recommended_quantity`) all at the DC (`allocated` False); scenarios
    fork it there (planner_shared.stock.scenario)."""
    workflow = await session.get(Workflow, workflow_id)
    if workflow is None:
        raise LookupError(f"workflow {workflow_id} not found")
    params = workflow.parameters or {}
    horizon = int(params.get("forecast_horizon_weeks") or 0)
    orders, initial_rows, proposal = await _bought_and_placed(
        session, workflow_id, horizon, before_allocation
    )
    layout = await _layout(session, orders)
    stores, codes = layout.stores, layout.codes
    initial = {code: np.zeros(len(stores)) for code in codes}
    for sid, cid, units in initial_rows:
        if (cell := layout.cell(sid, cid)) is not None:
            initial[cell[0]][cell[1]] += units
    weeks_in, actual = await _sales(session, workflow_id, layout, horizon)
    adjustments, adjusted = await _adjustments(
        session, workflow_id, layout, horizon, replacing_week
    )
    paths, planned = await _demand(session, workflow_id, horizon, stores, layout.by_id, codes)
    paths, planned = await _final(session, workflow_id, stores, orders, paths, planned)
    markdown = await _markdown(session, workflow_id, params, horizon, codes)
    estimates = await load_price_elasticities(session)
    strategy = ReplenishmentStrategy(params.get("replenishment_strategy") or "none")
    transit = _transit(orders, stores)
    moves = await approved_transfers(session, workflow_id)
    season = _Season(horizon, strategy, transit, moves, estimates, proposal)
    inputs, money = _categories(layout, season, initial, actual, adjustments, paths)
    checkpoint = params.get("markdown_checkpoint_week")
    return SeasonStock(
        workflow_id=workflow_id,
        horizon=horizon,
        weeks_in=weeks_in,
        strategy=strategy,
        checkpoint_week=int(checkpoint) if checkpoint else None,
        stores=stores,
        transit=transit,
        categories=money,
        inputs=inputs,
        paths=paths,
        planned=planned,
        markdown=markdown,
        adjusted_units=adjusted,
        allocated=not proposal,
        elasticities={c: estimates[c] for c in codes if c in estimates},
    )


async def approved_transfers(session: AsyncSession, workflow_id: UUID) -> list[Move]:
    """Every approved move of the season (docs/transfers.md)."""
    rows = await session.scalars(
        select(TransferPlan.moves).where(
            TransferPlan.workflow_id == workflow_id, TransferPlan.status == "approved"
        )
    )
    return [
        Move(
            category=str(m["category"]),
            source=str(m["from_location"]),
            target=str(m["to_store"]),
            units=int(m["units"]),
            ship_week=int(m["ship_week"]),
            arrival_week=int(m["arrival_week"]),
        )
        for moves in rows.all()
        for m in moves or []
    ]


def _maybe(value: float | None) -> float | None:
    return None if value is None else float(value)


def _elasticity(
    estimates: Mapping[str, ElasticityEstimate], code: str, category: Category
) -> float | None:
    estimate = estimates.get(code)
    if estimate is not None and estimate.elasticity is not None:
        return estimate.elasticity
    return _maybe(category.demand_elasticity)


async def _demand(
    session: AsyncSession,
    workflow_id: UUID,
    horizon: int,
    stores: Sequence[str],
    categories: Mapping[UUID, Category],
    codes: Sequence[str],
) -> tuple[dict[str, DemandPaths], dict[str, Array]]:
    forecasts = list(
        (await session.scalars(select(Forecast).where(Forecast.workflow_id == workflow_id))).all()
    )
    weeks = (
        await session.execute(
            select(
                ForecastWeek.forecast_id,
                ForecastWeek.week_number,
                ForecastWeek.point,
                ForecastWeek.lower_80,
                ForecastWeek.upper_80,
            ).where(ForecastWeek.forecast_id.in_([f.id for f in forecasts]))
        )
    ).all()
    bands: dict[UUID, dict[int, tuple[float, float, float]]] = {}
    for fid, week, mid, low, high in weeks:
        bands.setdefault(fid, {})[int(week)] = (float(mid), float(low), float(high))
    n = len(stores)
    paths: dict[str, DemandPaths] = {}
    planned: dict[str, Array] = {}
    for code in codes:
        runs = sorted(
            (f for f in forecasts if categories[f.category_id].code == code),
            key=lambda f: f.run_number,
        )
        point: Array = np.zeros((horizon, n))
        lower: Array = np.zeros((horizon, n))
        upper: Array = np.zeros((horizon, n))
        first: Array = np.zeros((horizon, n))
        for week in range(1, horizon + 1):
            run = _in_force(runs, bands, week)
            if run is None:
                continue
            share = _shares(run, stores)
            p, lo, hi = bands[run.id][week]
            point[week - 1], lower[week - 1], upper[week - 1] = (
                max(p, 0.0) * share,
                max(lo, 0.0) * share,
                max(hi, 0.0) * share,
            )
            if runs and week in bands.get(runs[0].id, {}):
                first[week - 1] = max(bands[runs[0].id][week][0], 0.0) * _shares(runs[0], stores)
        paths[code] = DemandPaths(point, lower, upper)
        planned[code] = first
    return paths, planned


async def _final(
    session: AsyncSession,
    workflow_id: UUID,
    stores: Sequence[str],
    orders: Sequence[ManufacturingOrder],
    paths: Mapping[str, DemandPaths],
    planned: Mapping[str, Array],
) -> tuple[dict[str, DemandPaths], dict[str, Array]]:
    """The final forecast (planner_shared.overrides): the paths in force adjusted by the
    active overrides; the plan by the overrides the order was sized with."""
    active = await load_active(session, workflow_id)
    sized_with = {UUID(str(i)) for o in orders for i in (o.reasoning or {}).get("overrides") or []}
    at_buy: list[Override] = (
        await load_active(session, workflow_id, only=sized_with) if sized_with else []
    )
    final: dict[str, DemandPaths] = {}
    first: dict[str, Array] = {}
    for code, path in paths.items():
        point, lower, upper = adjust(code, stores, active, path.point, path.lower, path.upper)
        final[code] = DemandPaths(point, lower, upper)
        (first[code],) = adjust(code, stores, at_buy, planned[code])
    return final, first


def _in_force(
    runs: Sequence[Forecast], bands: Mapping[UUID, Mapping[int, object]], week: int
) -> Forecast | None:
    """The newest run fitted before `week` was in that forecasts it."""
    best = None
    for run in runs:
        elapsed = int((run.diagnostics or {}).get("weeks_elapsed") or 0)
        if elapsed < week and week in bands.get(run.id, {}):
            best = run
    return best


def _shares(run: Forecast, stores: Sequence[str]) -> Array:
    """Each store's share of the run's reconciled season forecast (equal when none)."""
    return store_shares(run.diagnostics or {}, stores)


async def _markdown(
    session: AsyncSession,
    workflow_id: UUID,
    params: Mapping[str, object],
    horizon: int,
    codes: Sequence[str],
) -> dict[str, Array]:
    """The decided markdown of each category as a schedule: from the week after the checkpoint
    to the end of the season, at the category's decided line, else the one decided depth."""
    decided = (
        await session.execute(
            select(Approval.decided_value, Approval.decided_lines).where(
                Approval.workflow_id == workflow_id,
                Approval.kind == "markdown",
                Approval.status == "decided",
            )
        )
    ).first()
    checkpoint = params.get("markdown_checkpoint_week")
    if decided is None or not checkpoint:
        return {}
    value, lines = decided
    depths = {code: float((lines or {}).get(code, value or 0.0)) for code in codes}
    schedules: dict[str, Array] = {}
    for code, depth in depths.items():
        if depth > 0:
            schedules[code] = np.zeros(horizon)
            schedules[code][int(str(checkpoint)) :] = depth / 100.0
    return schedules
