"""Chart-ready reads built from a season's stored figures (`season_data`, `season_figures`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import timedelta
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway import overrides
from planner_gateway import season_figures as fig
from planner_gateway.errors import ApiError, ErrorDetail, not_found
from planner_gateway.repository import clusters, get_workflow, runs_started_by_week
from planner_gateway.schemas.charts import (
    TOTAL,
    Accuracy,
    AllocationChart,
    CategoryForecastChart,
    ClusterColumn,
    DcWeek,
    ForecastChart,
    ForecastCurvePoint,
    HistoryPoint,
    MarkdownCandidate,
    MarkdownCategoryProjection,
    MarkdownProjection,
    Phase,
    RunMark,
    SeasonOverview,
    Series,
    StoreCategoryDetail,
    StoreDetail,
    VarianceMark,
    WaitingFor,
    WeeklyChart,
    WeekPoint,
)
from planner_gateway.season_data import SeasonData, load, planning_done_at
from planner_gateway.stock import season_stock, stock_glance
from planner_shared.db.models import (
    Allocation,
    HistoricalSale,
    Store,
    StoreClusterMember,
    VarianceCheck,
)
from planner_shared.db.models import StoreCluster as Cluster
from planner_shared.db.models import WeeklyActual as Actual
from planner_shared.markdown import DEFAULT_MAX_MARKDOWN_PERCENTAGE
from planner_shared.stock import outlook
from planner_shared.stock.season import SeasonStock
from planner_shared.workflow import WorkflowState

HISTORY_WEEKS = 52


def _accuracy(pairs: list[tuple[float, float]]) -> Accuracy:
    a = fig.accuracy(pairs)
    return Accuracy(
        weeks=a.weeks,
        forecast_units=round(a.forecast, 1),
        actual_units=a.actual,
        wape_fraction=None if a.wape is None else round(a.wape, 4),
        bias_fraction=None if a.bias is None else round(a.bias, 4),
    )


def _series(data: SeasonData, key: str) -> Series:
    codes = data.codes if key == TOTAL else [key]
    planned_run = data.runs[0] if data.runs else None
    actual_by_week: dict[int, float] = {}
    for code in codes:
        for week, units in data.actuals.get(code, {}).items():
            actual_by_week[week] = actual_by_week.get(week, 0.0) + units
    manufactured = data.manufactured_total if key == TOTAL else data.manufactured.get(key)
    sell_through = fig.sell_through_by_week(actual_by_week, manufactured, data.horizon)
    points, pairs, cumulative = [], [], 0.0
    for week in range(1, data.horizon + 1):
        run = fig.in_force(data.runs, week)
        band = None
        if run is not None:
            band = fig.total_band(run, week) if key == TOTAL else run.weeks.get(key, {}).get(week)
        planned = None
        if planned_run is not None:
            p = fig.total_band(planned_run, week) if key == TOTAL else None
            if key != TOTAL:
                p = planned_run.weeks.get(key, {}).get(week)
            planned = None if p is None else round(p.point, 1)
        actual = actual_by_week.get(week)
        final = None if run is None or band is None else _final(data, run.run_number, codes, week)
        if actual is not None:
            cumulative += actual
            if band is not None:
                pairs.append((band.point, actual))
        points.append(
            WeekPoint(
                week_number=week,
                week_start=data.week_starts.get(week)
                or (data.start + timedelta(weeks=week - 1) if data.start else None),
                forecast_units=None if band is None else round(band.point, 1),
                final_units=None if final is None else round(final, 1),
                forecast_run_number=None if run is None or band is None else run.run_number,
                lower_80=None if band is None else round(band.lower_80, 1),
                upper_80=None if band is None else round(band.upper_80, 1),
                lower_95=None if band is None else round(band.lower_95, 1),
                upper_95=None if band is None else round(band.upper_95, 1),
                planned_units=planned,
                actual_units=actual,
                cumulative_actual_units=cumulative if actual is not None else None,
                sell_through_fraction=None
                if sell_through[week] is None
                else round(sell_through[week] or 0.0, 4),
            )
        )
    return Series(
        key=key,
        name="All categories" if key == TOTAL else data.names.get(key, key),
        manufactured_units=manufactured,
        points=points,
        accuracy=_accuracy(pairs),
    )


def _final(data: SeasonData, run_number: int, codes: list[str], week: int) -> float:
    """The final forecast of `codes` in `week` on a run (planner_shared.overrides)."""
    return sum(data.final(run_number, code).get(week, 0.0) for code in codes)


async def weekly_chart(session: AsyncSession, workflow_id: UUID) -> WeeklyChart:
    data = await load(session, workflow_id)
    checks = list(
        await session.scalars(
            select(VarianceCheck)
            .where(VarianceCheck.workflow_id == workflow_id)
            .order_by(VarianceCheck.week_number)
        )
    )
    started = await runs_started_by_week(session, workflow_id)
    marks = []
    for c in checks:
        categories = {
            k: v for k, v in c.by_category.items() if not k.startswith("_") and isinstance(v, dict)
        }
        marks.append(
            VarianceMark(
                week_number=c.week_number,
                variance_fraction=round(c.variance, 4),
                threshold_fraction=c.threshold,
                exceeded=c.exceeded,
                by_category_fraction={
                    k: round(float(v.get("variance", 0.0)), 4) for k, v in categories.items()
                },
                exceeded_categories=sorted(k for k, v in categories.items() if v.get("exceeded")),
                reforecast_run_number=started.get(c.week_number),
            )
        )
    return WeeklyChart(
        workflow_id=workflow_id,
        horizon_weeks=data.horizon,
        weeks_in=data.weeks_in,
        checkpoint_week=data.checkpoint_week,
        target_sell_through_fraction=data.target,
        variance_threshold_fraction=checks[-1].threshold if checks else None,
        series=[_series(data, TOTAL)] + [_series(data, code) for code in data.codes],
        variance=marks,
        runs=run_marks(data),
    )


def run_marks(data: SeasonData) -> list[RunMark]:
    """The season's forecast runs: each run's reason, the weeks it was fitted with, its total."""
    return [
        RunMark(
            run_number=r.run_number,
            reason=r.reason,
            after_week=r.weeks_elapsed,
            season_total=round(r.season_total, 1),
            created_at=r.created_at,
        )
        for r in data.run_info
    ]


def _numbers(raw: object) -> dict[str, float]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): float(v) for k, v in raw.items() if isinstance(v, int | float)}


async def forecast_chart(
    session: AsyncSession, workflow_id: UUID, run_number: int | None
) -> ForecastChart:
    data = await load(session, workflow_id)
    listed = (await overrides.listed(session, workflow_id)).items
    if not data.runs:
        return ForecastChart(
            workflow_id=workflow_id, run_number=None, runs=[], categories=[], overrides=listed
        )
    numbers = [r.run_number for r in data.runs]
    if run_number is None:
        run_number = numbers[-1]
    if run_number not in numbers:
        raise not_found(f"forecast run {run_number} of workflow {workflow_id}")
    index = numbers.index(run_number)
    run, info = data.runs[index], data.run_info[index]
    history = await _history(session, data)
    charts = []
    for code in sorted(run.weeks):
        diagnostics = info.diagnostics.get(code, {})
        final = data.final(run_number, code)
        charts.append(
            CategoryForecastChart(
                category_code=code,
                category_name=data.names.get(code, code),
                run_number=run_number,
                method=info.method.get(code, ""),
                season_total=round(sum(b.point for b in run.weeks[code].values()), 1),
                final_season_total=round(sum(final.values()), 1),
                weights=_numbers(diagnostics.get("weights")),
                backtest_errors=_numbers(diagnostics.get("backtest_wape")),
                history=history.get(code, []),
                forecast=[
                    ForecastCurvePoint(
                        week_number=week,
                        week_start=data.week_starts[week],
                        forecast_units=round(b.point, 1),
                        final_units=round(final.get(week, b.point), 1),
                        lower_80=round(b.lower_80, 1),
                        upper_80=round(b.upper_80, 1),
                        lower_95=round(b.lower_95, 1),
                        upper_95=round(b.upper_95, 1),
                    )
                    for week, b in sorted(run.weeks[code].items())
                ],
            )
        )
    return ForecastChart(
        workflow_id=workflow_id,
        run_number=run_number,
        runs=run_marks(data),
        categories=charts,
        overrides=listed,
    )


async def _history(session: AsyncSession, data: SeasonData) -> dict[str, list[HistoryPoint]]:
    if data.start is None:
        return {}
    since = data.start - timedelta(weeks=HISTORY_WEEKS)
    rows = await session.execute(
        select(
            HistoricalSale.category_id,
            HistoricalSale.week_start,
            func.sum(HistoricalSale.units).label("units"),
        )
        .where(HistoricalSale.week_start >= since, HistoricalSale.week_start < data.start)
        .group_by(HistoricalSale.category_id, HistoricalSale.week_start)
        .order_by(HistoricalSale.week_start)
    )
    history: defaultdict[str, list[HistoryPoint]] = defaultdict(list)
    for row in rows:
        code = data.category_ids[row.category_id]
        history[code].append(HistoryPoint(week_start=row.week_start, units=float(row.units)))
    return dict(history)


async def allocation_chart(session: AsyncSession, workflow_id: UUID) -> AllocationChart:
    data = await load(session, workflow_id)
    cluster_rows = await clusters(session, workflow_id)
    member_rows = await session.execute(
        select(Cluster.name, Allocation.category_id, Allocation.kind, func.sum(Allocation.units))
        .join(StoreClusterMember, StoreClusterMember.cluster_id == Cluster.id)
        .join(
            Allocation,
            (Allocation.store_id == StoreClusterMember.store_id)
            & (Allocation.workflow_id == StoreClusterMember.workflow_id),
        )
        .where(StoreClusterMember.workflow_id == workflow_id)
        .group_by(Cluster.name, Allocation.category_id, Allocation.kind)
    )
    by_cluster: defaultdict[str, dict[str, int]] = defaultdict(dict)
    replenished: defaultdict[str, int] = defaultdict(int)
    for name, category_id, kind, units in member_rows:
        if kind == "initial":
            by_cluster[name][data.category_ids[category_id]] = int(units)
        else:
            replenished[name] += int(units)
    holdback = {
        code: max(units - data.initial.get(code, 0), 0) for code, units in data.manufactured.items()
    }
    initial_total = sum(data.initial.values())
    manufactured = data.manufactured_total
    return AllocationChart(
        workflow_id=workflow_id,
        manufactured_units=manufactured,
        initial_units=initial_total,
        holdback_units=None if manufactured is None else sum(holdback.values()),
        dc_holdback_pct=data.holdback_pct,
        clusters=[
            ClusterColumn(
                cluster_name=c.cluster_name,
                store_count=c.store_count,
                initial_units=sum(by_cluster[c.cluster_name].values()),
                replenishment_units=replenished[c.cluster_name],
                by_category=dict(sorted(by_cluster[c.cluster_name].items())),
            )
            for c in cluster_rows
        ],
        dc_by_week=[
            DcWeek(
                week_number=week, shipped_units=sent, dc_units=sum(left.values()), by_category=left
            )
            for week, sent, left in fig.dc_balance(holdback, data.shipped, data.horizon)
        ]
        if manufactured is not None
        else [],
    )


async def store_detail(session: AsyncSession, workflow_id: UUID, store_code: str) -> StoreDetail:
    data = await load(session, workflow_id)
    store = await session.scalar(select(Store).where(Store.code == store_code))
    if store is None:
        raise not_found(f"store {store_code}")
    cluster_name = await session.scalar(
        select(Cluster.name)
        .join(StoreClusterMember, StoreClusterMember.cluster_id == Cluster.id)
        .where(
            StoreClusterMember.workflow_id == workflow_id, StoreClusterMember.store_id == store.id
        )
    )
    initial: defaultdict[str, int] = defaultdict(int)
    replenishment: defaultdict[str, dict[int, int]] = defaultdict(dict)
    for row in await session.execute(
        select(
            Allocation.category_id, Allocation.kind, Allocation.week_number, Allocation.units
        ).where(Allocation.workflow_id == workflow_id, Allocation.store_id == store.id)
    ):
        code = data.category_ids[row.category_id]
        if row.kind == "initial":
            initial[code] += row.units
        else:
            weeks = replenishment[code]
            weeks[row.week_number] = weeks.get(row.week_number, 0) + row.units
    sold: defaultdict[str, dict[int, int]] = defaultdict(dict)
    for sale in await session.execute(
        select(Actual.category_id, Actual.week_number, Actual.units_sold).where(
            Actual.workflow_id == workflow_id, Actual.store_id == store.id
        )
    ):
        sold[data.category_ids[sale.category_id]][sale.week_number] = sale.units_sold
    details = []
    for code in sorted(set(initial) | set(replenishment) | set(sold)):
        received = initial[code] + sum(replenishment[code].values())
        units = sum(sold[code].values())
        details.append(
            StoreCategoryDetail(
                category_code=code,
                initial_units=initial[code],
                replenishment_by_week=dict(sorted(replenishment[code].items())),
                actual_by_week=dict(sorted(sold[code].items())),
                sold_units=units,
                received_units=received,
                sell_through_fraction=round(units / received, 4) if received else None,
            )
        )
    return StoreDetail(
        workflow_id=workflow_id,
        store_code=store.code,
        store_name=store.name,
        region=store.region,
        format=store.format,
        size_sqft=store.size_sqft,
        cluster_name=cluster_name,
        categories=details,
    )


MARKDOWN_METHOD = (
    "stock ledger: from the week after the weeks in, each week's expected demand is lifted by "
    "(1 - markdown) ** the category's demand elasticity and sold within each store's stock at "
    "the marked-down price; the leftover is cleared at salvage value. Season margin = revenue "
    "+ leftover at salvage - the cost of every unit (docs/stock.md)"
)


def _source(stock: SeasonStock, code: str) -> str | None:
    estimate = stock.elasticities.get(code)
    return None if estimate is None else estimate.source


def _share(units: float, available: float) -> float:
    return round(units / available, 4) if available else 0.0


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


async def markdown_projection(
    session: AsyncSession,
    workflow_id: UUID,
    markdown_pct: float,
    lines: Mapping[str, float] | None = None,
) -> MarkdownProjection:
    """`markdown_pct` for every category, or each category's own depth in `lines`."""
    data = await load(session, workflow_id)
    stock = await season_stock(session, workflow_id)
    unknown = sorted(set(lines or {}) - set(stock.categories))
    if unknown:
        raise ApiError(
            422,
            f"lines name categories this season does not hold: {', '.join(unknown)}",
            details=[ErrorDetail(field=f"lines.{c}", message="unknown category") for c in unknown],
        )
    start = stock.weeks_in + 1
    base = outlook.markdown_outcome(stock, 0.0, start)
    marked = outlook.lines_outcome(stock, lines or {}, start, default=markdown_pct)
    candidates = outlook.markdown_outcomes(
        stock, outlook.candidate_depths(DEFAULT_MAX_MARKDOWN_PERCENTAGE), start
    )
    best = outlook.best_for_margin(candidates, DEFAULT_MAX_MARKDOWN_PERCENTAGE)
    best_each = outlook.best_by_category(candidates, DEFAULT_MAX_MARKDOWN_PERCENTAGE)
    available = base.total.units_available
    sold = sum(float(stock.inputs[c].actual_sales.sum()) for c in stock.categories)
    margin_gain = (
        None
        if marked.margin is None or base.margin is None
        else round(marked.margin - base.margin, 2)
    )
    return MarkdownProjection(
        workflow_id=workflow_id,
        markdown_pct=markdown_pct,
        checkpoint_week=data.checkpoint_week,
        sell_through_fraction=_share(sold, available),
        target_sell_through_fraction=data.target,
        baseline_sell_through_fraction=_share(base.total.units_sold, available),
        projected_sell_through_fraction=_share(marked.total.units_sold, available),
        baseline_revenue=round(base.total.revenue, 2),
        projected_revenue=round(marked.total.revenue, 2),
        method=MARKDOWN_METHOD,
        categories=[
            MarkdownCategoryProjection(
                category_code=code,
                markdown_pct=(lines or {}).get(code, markdown_pct),
                best_for_margin_pct=best_each.get(code),
                elasticity=data.elasticities.get(code, 0.0),
                demand_elasticity=money.demand_elasticity,
                demand_elasticity_source=_source(stock, code),
                unit_price=money.unit_price,
                unit_cost=money.unit_cost,
                salvage_value=money.salvage_value,
                available_units=round(base.by_category[code].units_available),
                sold_units=float(stock.inputs[code].actual_sales.sum()),
                baseline_units=round(base.by_category[code].units_sold, 1),
                projected_units=round(marked.by_category[code].units_sold, 1),
                baseline_sell_through_fraction=round(base.by_category[code].sell_through or 0.0, 4),
                projected_sell_through_fraction=round(
                    marked.by_category[code].sell_through or 0.0, 4
                ),
                baseline_revenue=round(base.by_category[code].revenue, 2),
                projected_revenue=round(marked.by_category[code].revenue, 2),
                baseline_leftover_units=round(base.by_category[code].leftover_units, 1),
                projected_leftover_units=round(marked.by_category[code].leftover_units, 1),
                baseline_season_margin=_r(base.by_category[code].season_margin),
                projected_season_margin=_r(marked.by_category[code].season_margin),
            )
            for code, money in sorted(stock.categories.items())
        ],
        baseline_season_margin=_r(base.margin),
        projected_season_margin=_r(marked.margin),
        margin_gain=margin_gain,
        best_for_margin_pct=None if best is None else best.percentage,
        candidates=[
            MarkdownCandidate(
                markdown_pct=o.percentage,
                sell_through_fraction=None
                if o.total.sell_through is None
                else round(o.total.sell_through, 4),
                revenue=round(o.total.revenue, 2),
                season_margin=_r(o.margin),
                leftover_units=round(o.total.leftover_units, 1),
                lost_sales=round(o.total.lost_sales, 1),
            )
            for o in candidates
        ],
    )


_PRE_SEASON = {
    WorkflowState.CREATED,
    WorkflowState.EXTRACTING,
    WorkflowState.FORECASTING,
    WorkflowState.AWAITING_MANUFACTURING_APPROVAL,
    WorkflowState.ALLOCATING,
}


def _waiting_for(state: WorkflowState, weeks_in: int, horizon: int) -> WaitingFor | None:
    match state:
        case WorkflowState.AWAITING_MANUFACTURING_APPROVAL:
            return WaitingFor(who="approver", what="decide the manufacturing order")
        case WorkflowState.AWAITING_MARKDOWN_APPROVAL:
            return WaitingFor(who="approver", what="decide the markdown")
        case WorkflowState.IN_SEASON:
            return WaitingFor(
                who="planner", what=f"upload week {min(weeks_in + 1, horizon)}'s actuals"
            )
        case WorkflowState.CREATED | WorkflowState.EXTRACTING:
            return WaitingFor(who="system", what="reading the brief")
        case WorkflowState.FORECASTING | WorkflowState.REFORECASTING:
            return WaitingFor(who="system", what="forecasting")
        case WorkflowState.ALLOCATING:
            return WaitingFor(who="system", what="allocating to stores")
    return None


async def overview(
    session: AsyncSession, workflow_id: UUID, *, with_stock: bool = False
) -> SeasonOverview:
    # Light on purpose: the seasons list asks this of every season.
    w = await get_workflow(session, workflow_id)
    state = WorkflowState(w.state)
    phase: Phase = (
        "pre_season"
        if state in _PRE_SEASON
        else "completed"
        if state is WorkflowState.COMPLETED
        else "failed"
        if state is WorkflowState.FAILED
        else "cancelled"
        if state is WorkflowState.CANCELLED
        else "in_season"
    )
    done_at = await planning_done_at(session, workflow_id)
    weeks_in = int(
        await session.scalar(
            select(func.count(func.distinct(Actual.week_number))).where(
                Actual.workflow_id == workflow_id
            )
        )
        or 0
    )
    params = w.parameters or {}
    horizon = int(params.get("forecast_horizon_weeks") or 0)
    return SeasonOverview(
        workflow_id=w.id,
        name=w.name,
        state=state.value,
        phase=phase,
        created_by=w.created_by,
        created_at=w.created_at,
        season_start_date=params.get("season_start_date"),
        horizon_weeks=horizon or None,
        weeks_in=weeks_in,
        progress_fraction=round(weeks_in / horizon, 4) if horizon else 0.0,
        pre_season_planning_done=done_at is not None,
        pre_season_planning_done_at=done_at,
        waiting_for=_waiting_for(state, weeks_in, horizon),
        error=w.error,
        stock=await stock_glance(session, workflow_id) if with_stock else None,
    )
