"""Scenarios: a season forked at its current state, its levers changed, evaluated on the
ledger (docs/scenarios.md).

A fork is the season's ledger inputs as they are now (`load_season_stock`): before the buy,
the proposed order with nothing allocated yet; in season, the allocation and the weeks in.
`apply` changes the levers on a copy (nothing is written anywhere); `evaluate` runs every
category's ledger on the forecast's point path and on the lower and upper ends of its
calibrated 80 % interval, and reads the figures off each (money.py). The band of a figure is
the least and the greatest of the three runs: lost sales, sales and leftover move
monotonically with demand (docs/stock.md), so the interval's ends bound them.

Before the buy the order is allocated as the forecast service will allocate it: the DC keeps
`buy x holdback / 100` rounded half up, the stores share the rest in proportion to their
targets (forecast plus safety stock, from the manufacturing plan) by the largest remainder.
The allocation's minimum display per store and its cluster step are not replayed: they move
units only where a store's share is below the minimum display.

With a transfer strategy other than 'none' (the season's own, or the lever's), each path's
weeks still to come are played one by one and the season's transfer rule moves stock after
each, as the real season would (scenario_transfers.py); the figures are read off the ledger
with those moves posted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any
from uuid import UUID

import numpy as np
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.db.models import Category, ManufacturingOrder, Workflow
from planner_shared.parameters import (
    DEFAULT_TRANSFER_STRATEGY,
    ReplenishmentStrategy,
    TransferStrategy,
)
from planner_shared.stock.ledger import Array, CategoryLedger, share_out
from planner_shared.stock.levers import DemandAdjustment, ScenarioLevers
from planner_shared.stock.money import MoneyFigures, figures, total
from planner_shared.stock.scenario_transfers import NO_TRANSFERS, Transfers, simulate
from planner_shared.stock.season import DemandPaths, SeasonStock, load_season_stock
from planner_shared.stock.transfers import TransferRules

PATHS = ("point", "lower", "upper")


@dataclass(frozen=True)
class Fork:
    """A season as it stands, to change levers on. `targets`: each store's share key of a
    category's store pool (used before the buy, when the allocation is the scenario's).
    `transfers`: the season's transfer strategy and the rule's cost per unit moved."""

    stock: SeasonStock
    holdback_percentage: float
    targets: dict[str, Array]
    transfers: Transfers = NO_TRANSFERS

    @property
    def before_the_buy(self) -> bool:
        return not self.stock.allocated


async def load_fork(session: AsyncSession, workflow_id: UUID, rules: TransferRules) -> Fork:
    """The season's fork: its ledger inputs now (NoStockYetError before its first forecast);
    `rules`: the transfer rule's settings (the cost per unit moved is a service setting)."""
    stock = await load_season_stock(session, workflow_id, before_allocation=True)
    workflow = await session.get(Workflow, workflow_id)
    params = (workflow.parameters if workflow else None) or {}
    rows = (
        await session.execute(
            select(Category.code, ManufacturingOrder.reasoning)
            .join(Category, Category.id == ManufacturingOrder.category_id)
            .where(ManufacturingOrder.workflow_id == workflow_id)
        )
    ).all()
    reasoning = {code: r or {} for code, r in rows}
    targets = {
        code: store_targets(reasoning.get(code, {}), stock.stores, stock.paths[code].point)
        for code in stock.categories
    }
    # A season stored before the parameter existed runs the default, as its service does.
    strategy = TransferStrategy(params.get("transfer_strategy") or DEFAULT_TRANSFER_STRATEGY)
    return Fork(
        stock,
        float(params.get("dc_holdback_percentage") or 0.0),
        targets,
        Transfers(strategy, rules),
    )


def store_targets(reasoning: Mapping[str, Any], stores: Sequence[str], point: Array) -> Array:
    """Each store's target of the manufacturing plan: its forecast plus its safety stock (the
    forecast service's allocation key); the store's season forecast where the plan has none."""
    rows = reasoning.get("stores") or {}
    values = np.zeros(len(stores))
    for i, store in enumerate(stores):
        row = rows.get(store)
        if not isinstance(row, dict) or row.get("forecast") is None:
            values[i] = float(point[:, i].sum())
            continue
        forecast = max(float(row["forecast"]), 0.0)
        if row.get("safety_stock_units") is not None:
            values[i] = forecast + max(float(row["safety_stock_units"]), 0.0)
        else:
            values[i] = forecast * (1 + float(row.get("safety_stock_pct") or 0.0) / 100)
    return values


def holdback_units(units: int, percentage: float) -> int:
    """Units kept at the DC: units x percentage / 100, rounded half up (as the allocation)."""
    return int(units * Fraction(percentage) / 100 + Fraction(1, 2))


def allocate(units: int, percentage: float, targets: Array) -> tuple[Array, int]:
    """The stores' initial units and the units the DC keeps, for an order of `units`."""
    kept = holdback_units(units, percentage)
    weights = targets if targets.sum() > 0 else np.ones_like(targets)
    return share_out(float(units - kept), weights.astype(np.float64)), kept


def apply(fork: Fork, levers: ScenarioLevers) -> SeasonStock:
    """The fork's ledger inputs with the levers changed (levers left out keep the live plan)."""
    stock = fork.stock
    strategy = levers.replenishment_strategy or stock.strategy
    categories = {
        code: replace(
            money, demand_elasticity=levers.demand_elasticity.get(code, money.demand_elasticity)
        )
        for code, money in stock.categories.items()
    }
    inputs = {code: replace(i, strategy=strategy) for code, i in stock.inputs.items()}
    if fork.before_the_buy:
        percentage = levers.dc_holdback_percentage
        if percentage is None:
            percentage = fork.holdback_percentage
        for code, money in categories.items():
            buy = (levers.buy or {}).get(code, money.manufactured)
            initial, kept = allocate(buy, percentage, fork.targets[code])
            inputs[code] = replace(
                inputs[code], initial=initial, dc_opening=float(kept + money.stock_on_hand)
            )
            categories[code] = replace(money, manufactured=buy)
    paths = {
        code: _adjusted(stock.paths[code], levers.demand_adjustment.get(code), stock)
        for code in stock.categories
    }
    markdown = dict(stock.markdown)
    for code, lever in levers.markdown.items():
        week = lever.markdown_checkpoint_week
        start = (stock.checkpoint_week or 0) if week is None else week
        markdown[code] = stock.markdown_schedule(lever.markdown_percentage / 100, start + 1)
    return replace(
        stock,
        strategy=strategy,
        categories=categories,
        inputs=inputs,
        paths=paths,
        markdown=markdown,
    )


def _adjusted(
    paths: DemandPaths, adjustment: DemandAdjustment | None, stock: SeasonStock
) -> DemandPaths:
    if adjustment is None:
        return paths
    weeks = adjustment.weeks or list(range(stock.weeks_in + 1, stock.horizon + 1))
    factor = np.ones(stock.horizon)
    factor[[w - 1 for w in weeks]] = 1 + adjustment.change_percentage / 100
    return DemandPaths(
        paths.point * factor[:, None], paths.lower * factor[:, None], paths.upper * factor[:, None]
    )


# ---------------------------------------------------------------- evaluation
class Band(BaseModel):
    """A figure on the forecast's point path, and the least and greatest of it on the point
    path and the ends of the forecast's 80 % interval."""

    point: float | None
    lower_80: float | None
    upper_80: float | None


class ScenarioFigures(BaseModel):
    units_available: float = Field(description="The order plus stock on hand (units).")
    sell_through_fraction: Band = Field(description="Units sold / units available (0-1).")
    units_sold: Band
    lost_sales: Band = Field(description="Demand the stores could not serve (units).")
    leftover_units: Band = Field(description="Units left at the season's end (stores + DC).")
    revenue: Band
    gross_margin: Band
    season_margin: Band = Field(description="Gross margin once the leftover is cleared.")
    dc_empty_week: Band = Field(
        description="The first week the DC closes empty; null: it never runs out."
    )


class CategoryEvaluation(ScenarioFigures):
    category_code: str
    buy: int = Field(description="Units ordered.")
    dc_opening_units: float = Field(description="Units at the DC once the stores are stocked.")
    markdown_percentage: float = Field(description="The deepest markdown of the season, percent.")
    units_transferred: int = Field(
        default=0,
        description="Units the transfer rule moves in the weeks ahead (DC releases and "
        "store-to-store), on the point forecast; 0 with transfer strategy 'none'.",
    )


class Evaluation(BaseModel):
    """One plan of the season (a scenario, or the live plan) on the ledger."""

    weeks_in: int
    before_the_buy: bool
    replenishment_strategy: ReplenishmentStrategy
    transfer_strategy: TransferStrategy = Field(
        default=TransferStrategy.NONE,
        description="The moves the transfer rule makes after each week ahead: 'none', "
        "'dc_only' (DC releases) or 'hybrid' (DC releases and store-to-store moves).",
    )
    dc_holdback_percentage: float | None = Field(
        description="Before the buy: the holdback the order is allocated with; null after."
    )
    total: ScenarioFigures
    categories: list[CategoryEvaluation]


FIGURES = (
    "sell_through_fraction",
    "units_sold",
    "lost_sales",
    "leftover_units",
    "revenue",
    "gross_margin",
    "season_margin",
    "dc_empty_week",
)


def _band(values: Sequence[float | None], digits: int) -> Band:
    point = values[0]
    if any(v is None for v in values):
        return Band(
            point=None if point is None else round(point, digits), lower_80=None, upper_80=None
        )
    known = [float(v) for v in values if v is not None]
    return Band(
        point=round(known[0], digits),
        lower_80=round(min(known), digits),
        upper_80=round(max(known), digits),
    )


def _week_band(weeks: Sequence[int | None]) -> Band:
    """The DC's first empty week: earliest and latest of the runs; never (None) is latest."""
    point = weeks[0]
    known = [w for w in weeks if w is not None]
    return Band(
        point=None if point is None else float(point),
        lower_80=float(min(known)) if known else None,
        upper_80=None if len(known) < len(weeks) else float(max(known)),
    )


def dc_empty_week(ledger: CategoryLedger) -> int | None:
    """The first week the DC closes (almost) empty, as the stock view shows it."""
    empty = np.flatnonzero(ledger.dc_closing < 0.5)
    return int(empty[0]) + 1 if empty.size else None


def _figures(runs: Sequence[MoneyFigures], weeks: Sequence[int | None]) -> dict[str, Any]:
    def band(read: Callable[[MoneyFigures], float | None], digits: int = 1) -> Band:
        return _band([read(r) for r in runs], digits)

    return {
        "units_available": round(runs[0].units_available, 1),
        "sell_through_fraction": band(lambda r: r.sell_through, 4),
        "units_sold": band(lambda r: r.units_sold),
        "lost_sales": band(lambda r: r.lost_sales),
        "leftover_units": band(lambda r: r.leftover_units),
        "revenue": band(lambda r: r.revenue, 2),
        "gross_margin": band(lambda r: r.gross_margin, 2),
        "season_margin": band(lambda r: r.season_margin, 2),
        "dc_empty_week": _week_band(weeks),
    }


def evaluate(
    stock: SeasonStock,
    holdback_percentage: float | None = None,
    transfers: Transfers = NO_TRANSFERS,
) -> Evaluation:
    """Every category's ledger on the three paths of the forecast (with the transfer rule's
    moves of the weeks ahead posted), and their figures."""
    runs: dict[str, list[MoneyFigures]] = {p: [] for p in PATHS}
    empties: dict[str, list[int | None]] = {p: [] for p in PATHS}
    categories = []
    for code in sorted(stock.categories):
        money, schedule = stock.categories[code], stock.markdown.get(code)
        played = [simulate(stock, code, p, transfers) for p in PATHS]
        ledgers = [run.ledger for run in played]
        mine = [figures(led, money, schedule) for led in ledgers]
        weeks = [dc_empty_week(led) for led in ledgers]
        for p, fig, week in zip(PATHS, mine, weeks, strict=True):
            runs[p].append(fig)
            empties[p].append(week)
        categories.append(
            CategoryEvaluation(
                category_code=code,
                buy=money.manufactured,
                dc_opening_units=round(ledgers[0].dc_start, 1),
                markdown_percentage=round(
                    100 * float(schedule.max()) if schedule is not None else 0.0, 2
                ),
                units_transferred=played[0].units_moved,
                **_figures(mine, weeks),
            )
        )
    earliest = [min((w for w in empties[p] if w is not None), default=None) for p in PATHS]
    return Evaluation(
        weeks_in=stock.weeks_in,
        before_the_buy=not stock.allocated,
        replenishment_strategy=stock.strategy,
        transfer_strategy=transfers.strategy,
        dc_holdback_percentage=holdback_percentage if not stock.allocated else None,
        total=ScenarioFigures(**_figures([total(runs[p]) for p in PATHS], earliest)),
        categories=categories,
    )


def evaluate_levers(fork: Fork, levers: ScenarioLevers) -> Evaluation:
    """The fork with the levers changed, on the ledger."""
    holdback = levers.dc_holdback_percentage
    transfers = fork.transfers
    if levers.transfer_strategy is not None:
        transfers = replace(transfers, strategy=TransferStrategy(levers.transfer_strategy))
    return evaluate(
        apply(fork, levers),
        fork.holdback_percentage if holdback is None else holdback,
        transfers,
    )


# ---------------------------------------------------------------- differences
Differences = dict[str, float | None]


def _differences(mine: ScenarioFigures, live: ScenarioFigures) -> Differences:
    """Point against point, figure by figure (None where either is unknown)."""
    out: Differences = {}
    for name in ("units_available", *FIGURES):
        a, b = getattr(mine, name), getattr(live, name)
        if isinstance(a, Band) and isinstance(b, Band):
            a, b = a.point, b.point
        out[name] = None if a is None or b is None else round(float(a) - float(b), 4)
    return out


class Comparison(BaseModel):
    """The scenario against the live plan: the scenario's point figures less the live plan's
    (sell-through in fraction points, the DC's empty week in weeks)."""

    total: Differences
    categories: dict[str, Differences]


def compare(mine: Evaluation, live: Evaluation) -> Comparison:
    theirs = {c.category_code: c for c in live.categories}
    return Comparison(
        total=_differences(mine.total, live.total),
        categories={
            c.category_code: _differences(c, theirs[c.category_code])
            for c in mine.categories
            if c.category_code in theirs
        },
    )
