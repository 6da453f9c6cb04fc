"""One season's stored figures, loaded once for the console's charts and report."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.repository import get_workflow
from planner_gateway.season_figures import Band, Run
from planner_shared.db.models import (
    Allocation,
    Category,
    Forecast,
    ForecastWeek,
    ManufacturingOrder,
    Store,
    Workflow,
    WorkflowTransition,
)
from planner_shared.db.models import WeeklyActual as Actual
from planner_shared.overrides import Override, final_weeks, load_active, store_shares
from planner_shared.workflow import WorkflowState


@dataclass(frozen=True)
class RunInfo:
    run_number: int
    reason: str
    weeks_elapsed: int
    season_total: float
    created_at: datetime
    method: dict[str, str]
    diagnostics: dict[str, dict[str, object]]


@dataclass
class SeasonData:
    workflow: Workflow
    horizon: int
    start: date | None
    checkpoint_week: int
    target: float
    holdback_pct: float | None
    names: dict[str, str]  # category code -> name
    prices: dict[str, float]
    elasticities: dict[str, float]
    category_ids: dict[UUID, str]
    runs: list[Run] = field(default_factory=list)
    run_info: list[RunInfo] = field(default_factory=list)
    week_starts: dict[int, date] = field(default_factory=dict)
    actuals: dict[str, dict[int, float]] = field(default_factory=dict)
    manufactured: dict[str, int] = field(default_factory=dict)
    recommended: dict[str, int] = field(default_factory=dict)
    initial: dict[str, int] = field(default_factory=dict)
    shipped: dict[str, dict[int, int]] = field(default_factory=dict)
    # The planner's active overrides and the stores they split over (planner_shared.overrides).
    overrides: list[Override] = field(default_factory=list)
    stores: list[str] = field(default_factory=list)
    _final: dict[tuple[int, str], dict[int, float]] = field(default_factory=dict)

    def final(self, run_number: int, code: str) -> dict[int, float]:
        """The final forecast of a run's category by week: its statistical weeks adjusted by
        the active overrides, the ledger's rule (planner_shared.overrides)."""
        key = (run_number, code)
        if key not in self._final:
            index = [r.run_number for r in self.runs].index(run_number)
            weeks = {w: b.point for w, b in self.runs[index].weeks.get(code, {}).items()}
            diagnostics = self.run_info[index].diagnostics.get(code, {})
            self._final[key] = (
                final_weeks(
                    code, weeks, store_shares(diagnostics, self.stores), self.stores, self.overrides
                )
                if any(o.touches(code) for o in self.overrides)
                else weeks
            )
        return self._final[key]

    @property
    def codes(self) -> list[str]:
        listed = self.workflow.category_codes or []
        seen = set(listed) | set(self.manufactured) | {c for r in self.runs for c in r.weeks}
        return sorted(seen)

    @property
    def weeks_in(self) -> list[int]:
        return sorted({w for by_week in self.actuals.values() for w in by_week})

    @property
    def manufactured_total(self) -> int | None:
        return sum(self.manufactured.values()) if self.manufactured else None


async def load(session: AsyncSession, workflow_id: UUID) -> SeasonData:
    workflow = await get_workflow(session, workflow_id)
    params = workflow.parameters or {}
    categories = list(await session.scalars(select(Category)))
    data = SeasonData(
        workflow=workflow,
        horizon=int(params.get("forecast_horizon_weeks") or 0),
        start=date.fromisoformat(params["season_start_date"])
        if params.get("season_start_date")
        else None,
        checkpoint_week=int(params.get("markdown_checkpoint_week") or 0),
        target=float(params.get("markdown_threshold") or 0.0),
        holdback_pct=params.get("dc_holdback_percentage"),
        names={c.code: c.name for c in categories},
        prices={c.code: float(c.unit_price) for c in categories},
        elasticities={c.code: float(c.price_elasticity) for c in categories},
        category_ids={c.id: c.code for c in categories},
    )
    await _load_forecasts(session, data)
    await _load_actuals(session, data)
    await _load_orders(session, data)
    data.overrides = await load_active(session, workflow_id)
    if data.overrides:
        data.stores = list(await session.scalars(select(Store.code).order_by(Store.code)))
    return data


async def _load_forecasts(session: AsyncSession, data: SeasonData) -> None:
    forecasts = list(
        await session.scalars(
            select(Forecast)
            .where(Forecast.workflow_id == data.workflow.id)
            .order_by(Forecast.run_number)
        )
    )
    if not forecasts:
        return
    weeks: defaultdict[UUID, dict[int, Band]] = defaultdict(dict)
    for w in await session.scalars(
        select(ForecastWeek).where(ForecastWeek.forecast_id.in_([f.id for f in forecasts]))
    ):
        weeks[w.forecast_id][w.week_number] = Band(
            w.point, w.lower_80, w.upper_80, w.lower_95, w.upper_95
        )
        data.week_starts.setdefault(w.week_number, w.week_start)
    by_run: defaultdict[int, list[Forecast]] = defaultdict(list)
    for f in forecasts:
        by_run[f.run_number].append(f)
    for number, members in sorted(by_run.items()):
        elapsed = max(int(f.diagnostics.get("weeks_elapsed") or 0) for f in members)
        data.runs.append(
            Run(number, elapsed, {data.category_ids[f.category_id]: weeks[f.id] for f in members})
        )
        data.run_info.append(
            RunInfo(
                run_number=number,
                reason=members[0].reason,
                weeks_elapsed=elapsed,
                season_total=sum(f.season_total for f in members),
                created_at=min(f.created_at for f in members),
                method={data.category_ids[f.category_id]: f.method for f in members},
                diagnostics={data.category_ids[f.category_id]: f.diagnostics for f in members},
            )
        )


async def _load_actuals(session: AsyncSession, data: SeasonData) -> None:
    rows = await session.execute(
        select(Actual.category_id, Actual.week_number, func.sum(Actual.units_sold).label("units"))
        .where(Actual.workflow_id == data.workflow.id)
        .group_by(Actual.category_id, Actual.week_number)
    )
    for row in rows:
        data.actuals.setdefault(data.category_ids[row.category_id], {})[row.week_number] = float(
            row.units
        )


async def _load_orders(session: AsyncSession, data: SeasonData) -> None:
    for order in await session.scalars(
        select(ManufacturingOrder).where(ManufacturingOrder.workflow_id == data.workflow.id)
    ):
        code = data.category_ids[order.category_id]
        data.recommended[code] = order.recommended_quantity
        if order.approved_quantity is not None:
            data.manufactured[code] = order.approved_quantity
    rows = await session.execute(
        select(
            Allocation.category_id,
            Allocation.kind,
            Allocation.week_number,
            func.sum(Allocation.units).label("units"),
        )
        .where(Allocation.workflow_id == data.workflow.id)
        .group_by(Allocation.category_id, Allocation.kind, Allocation.week_number)
    )
    for row in rows:
        code = data.category_ids[row.category_id]
        if row.kind == "initial":
            data.initial[code] = data.initial.get(code, 0) + int(row.units)
        else:
            data.shipped.setdefault(code, {})[row.week_number] = int(row.units)


async def planning_done_at(session: AsyncSession, workflow_id: UUID) -> datetime | None:
    """When the season first went in season: forecast, order decided, stores allocated."""
    at: datetime | None = await session.scalar(
        select(func.min(WorkflowTransition.at)).where(
            WorkflowTransition.workflow_id == workflow_id,
            WorkflowTransition.accepted.is_(True),
            WorkflowTransition.from_state == WorkflowState.ALLOCATING.value,
        )
    )
    return at
